"""JSON-RPC 2.0 over HTTP/1.1 (stdlib http.server, keep-alive): single requests, batches and
notifications, JSON-RPC error objects, and the HTTP handler (Nagle off, chunked bodies,
a 32 MiB bound)."""

from __future__ import annotations

import json
import sys
import traceback
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING

from .errors import RpcError

if TYPE_CHECKING:
    from .rpc_methods import Api

MAX_BODY = 32 * 1024 * 1024


def handle_payload(api: Api, body: bytes):
    """Returns the response object (dict, list) or None for notifications only."""
    try:
        req = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
    if isinstance(req, list):
        if not req:
            return {"jsonrpc": "2.0", "id": None,
                    "error": {"code": -32600, "message": "invalid request: empty batch"}}
        out = [r for r in (handle_one(api, item) for item in req) if r is not None]
        return out or None
    return handle_one(api, req)


def handle_one(api: Api, req):
    if not isinstance(req, dict):
        return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "invalid request"}}
    rid = req.get("id")
    is_notification = "id" not in req
    method = req.get("method")
    if not isinstance(method, str) or (rid is not None and not isinstance(rid, (str, int, float))):
        return {"jsonrpc": "2.0", "id": rid if isinstance(rid, (str, int, float)) else None,
                "error": {"code": -32600, "message": "invalid request"}}
    try:
        result = api.dispatch(method, req.get("params"))
        resp = {"jsonrpc": "2.0", "id": rid, "result": result}
    except RpcError as exc:
        resp = {"jsonrpc": "2.0", "id": rid, "error": exc.to_json()}
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        resp = {"jsonrpc": "2.0", "id": rid, "error": {"code": -32602, "message": f"invalid params: {exc}"}}
    except Exception as exc:  # never let a request take the server down
        traceback.print_exc(file=sys.stderr)
        resp = {"jsonrpc": "2.0", "id": rid, "error": {"code": -32603, "message": f"internal error: {exc}"}}
    return None if is_notification else resp


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else ~40 ms per request (Nagle + delayed ACK)
    server_version = "mdrs-devchain/1.0"
    api: Api = None
    verbose = False

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status, payload: bytes, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self):
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(400, b'{"error":"bad request body"}')
            return
        if body is None:
            self.close_connection = True
            self._send(413, b'{"error":"request too large"}')
            return
        response = handle_payload(self.api, body)
        payload = b"" if response is None else json.dumps(response, separators=(",", ":")).encode()
        self._send(200, payload)

    def do_GET(self):
        self._send(405, b"POST JSON-RPC 2.0 requests here\n", "text/plain")

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("devchain: %s\n" % (fmt % args))
