#!/usr/bin/env python3
"""A dishonest chain node for the gateway's tests: it forwards every JSON-RPC request to a real
node, except that `getGrant(token)` calls answer with a forged grant to the given staff member,
valid for a day, for the record whose id is the token itself (so the attacker picks the record
by picking the token). Everything else, including the transactions the gateway sends, goes to
the real chain, which is how the test sees what the contract makes of a release the forgery
caused.

    forging_node.py --upstream URL --port-file FILE --staff ADDR --custodian ADDR --patient ADDR --epoch N

With `--hide-revocations` it forges nothing but hides revocations instead: `Revoked` logs are
dropped from `eth_getLogs` answers and `getGrant` answers say "not revoked".

    forging_node.py --upstream URL --port-file FILE --hide-revocations

With `--freeze-head` it reports the block that was the head when it started as the latest, for
ever, with a fresh timestamp each time (the real head's, or the clock's if later: its head never
looks old), and answers reads at that block honestly.

    forging_node.py --upstream URL --port-file FILE --freeze-head [--shift-timestamp SECONDS]

With `--shift-timestamp N` the frozen head is dated N seconds from now (a head from the future).
"""

import argparse
import json
import os
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

GET_GRANT = keccak(text="getGrant(bytes32)")[:4]
REVOKED = "0x" + keccak(text="Revoked(bytes32,address,address,bytes32)").hex()
GRANT_TUPLE = "(address,address,bytes32,address,uint64,address,uint64,bool,uint256,uint256)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--hide-revocations", action="store_true")
    ap.add_argument("--freeze-head", action="store_true")
    ap.add_argument("--shift-timestamp", type=int, default=0, help="with --freeze-head: date the head this many seconds from now")
    ap.add_argument("--staff")
    ap.add_argument("--custodian")
    ap.add_argument("--patient")
    ap.add_argument("--epoch", type=int, default=1)
    args = ap.parse_args()

    def forged(token: bytes) -> str:
        grant = (to_checksum_address(args.patient), to_checksum_address(args.staff), token, to_checksum_address(args.custodian),
                 int(time.time()) + 86400, to_checksum_address(args.custodian), args.epoch, False, 1, 1)
        return "0x" + encode([GRANT_TUPLE], [grant]).hex()

    def upstream_call(body: bytes):
        upstream = urllib.request.Request(args.upstream, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(upstream, timeout=30) as response:
            return json.loads(response.read())

    frozen = {}

    def freeze(request):
        """The chain as of one block, forever, with a timestamp of now."""
        method, params = request.get("method"), request.get("params") or []
        if "number" not in frozen:
            frozen["number"] = int(upstream_call(json.dumps({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []}).encode())["result"], 16)
        number = frozen["number"]
        if method == "eth_blockNumber":
            return {"jsonrpc": "2.0", "id": request.get("id"), "result": hex(number)}
        if method == "eth_getBlockByNumber" and params and params[0] in ("latest", "pending", "safe", "finalized"):
            params = [hex(number)] + params[1:]
            answer = upstream_call(json.dumps({**request, "params": params}).encode())
            if isinstance(answer.get("result"), dict):
                # As fresh as the real chain's head (a dev chain that mines fast runs ahead of
                # the clock), or as the clock, whichever is later.
                real = upstream_call(json.dumps({"jsonrpc": "2.0", "id": 0, "method": "eth_getBlockByNumber", "params": ["latest", False]}).encode())
                latest = int(((real.get("result") or {}).get("timestamp")) or "0x0", 16)
                answer["result"]["timestamp"] = hex(max(int(time.time()), latest) + args.shift_timestamp)
            return answer
        if method == "eth_getBlockByNumber" and params and isinstance(params[0], str) and params[0].startswith("0x") and int(params[0], 16) > number:
            return {"jsonrpc": "2.0", "id": request.get("id"), "result": None}
        return upstream_call(json.dumps(request).encode())

    def hide(request):
        """The honest answer, minus any sign of a revocation."""
        answer = upstream_call(json.dumps(request).encode())
        result = answer.get("result")
        if request.get("method") == "eth_getLogs" and isinstance(result, list):
            answer["result"] = [log for log in result if (log.get("topics") or [None])[0] != REVOKED]
        if request.get("method") == "eth_call" and isinstance(result, str) and len(result) == 2 + 64 * 10:
            call = (request.get("params") or [{}])[0] or {}
            data = call.get("data") or call.get("input") or ""
            if data.startswith("0x") and bytes.fromhex(data[2:10]) == GET_GRANT:
                answer["result"] = result[: 2 + 64 * 7] + "0" * 64 + result[2 + 64 * 8:]
        return answer

    def forge(request):
        if request.get("method") != "eth_call":
            return None
        params = request.get("params") or []
        call = params[0] if params and isinstance(params[0], dict) else {}
        data = call.get("data") or call.get("input") or ""
        if not data.startswith("0x") or len(data) != 2 + 8 + 64 or bytes.fromhex(data[2:10]) != GET_GRANT:
            return None
        return {"jsonrpc": "2.0", "id": request.get("id"), "result": forged(bytes.fromhex(data[10:]))}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            payload = json.loads(body)
            if args.freeze_head and isinstance(payload, dict):
                single = freeze(payload)
            elif args.hide_revocations and isinstance(payload, dict):
                single = hide(payload)
            else:
                single = forge(payload) if isinstance(payload, dict) else None
            if single is not None:
                out = json.dumps(single).encode()
            else:
                upstream = urllib.request.Request(args.upstream, data=body, headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(upstream, timeout=30) as response:
                    out = response.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    server.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main()
