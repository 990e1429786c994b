#!/usr/bin/env python3
"""MDRS dev chain: an Ethereum JSON-RPC 2.0 server over eth-tester's py-evm backend.

    python deploy/devchain/devchain.py --port 8545 [--block-time 0] [--accounts-file PATH]

For tests and the demo only. It behaves like a single go-ethereum/Besu node where
the gateway can see the difference:

* its own transaction pool of signed raw transactions, with the nodes' error
  messages (-32000): "invalid chain id", "nonce too low", "already known",
  "replacement transaction underpriced" (needs +10% on fee cap and tip),
  "transaction underpriced" (fee cap below the next block's base fee),
  "insufficient funds for gas * price + value", "intrinsic gas too low",
  "exceeds block gas limit"; transactions with a future nonce wait in the pool
  until the gap is filled;
* receipts are null until mined; a mined transaction that reverts has status 0x0;
* reverted eth_call / eth_estimateGas answer like geth: code 3, message
  "execution reverted" (": <reason>" for Error(string)), data = the raw revert
  data, so custom errors can be decoded;
* eth_getLogs is served from a log index built as blocks are mined.

Mining: --block-time 0 mines one block per transaction as soon as it is
executable; --block-time N mines a block every N seconds (empty or not) with
whatever is pending. miner_stop / miner_start pause and resume mining in both
modes; evm_mine mines one block now (even while paused).

Dev-only methods: evm_mine([timestamp]), miner_stop, miner_start,
evm_increaseTime(seconds) -> total offset (hex), evm_setNextBlockTimestamp(ts),
dev_fund(address, weiHex) -> tx hash (sent from a faucet account that is not
one of the listed dev accounts, so it never disturbs their nonces).

Time: a block's timestamp is max(parent + 1, wall clock + evm_increaseTime
offset). Timestamps must rise by at least 1 s per block, so in one-block-per-
transaction mode a burst of N transactions moves the chain's clock up to N
seconds ahead of the wall clock: compare expiries with the latest block's
timestamp, not with the local clock. eth_call and eth_estimateGas run in the
context of the latest block (like geth), so on an idle chain block.timestamp
stays at the last block's until something (evm_mine) mines a new one.

Chain id: eth-tester's own, 131277322940537 (> 2^32; catches 32-bit chain-id bugs).
The listed dev accounts are eth-tester's well-known keys 0x...01 to 0x...0a:
never use them anywhere real.

Python stdlib http.server only (ThreadingHTTPServer, HTTP/1.1 keep-alive); one
global lock around the EVM.

The code is in devchain_lib/ next to this file (see its __init__ for the modules);
this file is the command line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from http.server import ThreadingHTTPServer

# devchain_lib/ lives next to this file: importable however the script is started.
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from devchain_lib.ecdsa import USING_LIBSECP256K1  # noqa: E402  (first: before py-evm)
from devchain_lib.chain import DevChain  # noqa: E402
from devchain_lib.encoding import h  # noqa: E402
from devchain_lib.rpc_methods import Api  # noqa: E402
from devchain_lib.server import Handler  # noqa: E402
from devchain_lib.timers import empty_block_loop, miner_loop  # noqa: E402
from eth_utils import to_checksum_address  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description="MDRS dev chain (Ethereum JSON-RPC over eth-tester/py-evm)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8545, help="0 picks a free port")
    ap.add_argument("--block-time", type=float, default=0.0,
                    help="0: one block per transaction, at once; N>0: a block every N seconds")
    ap.add_argument("--empty-blocks", type=float, default=0.0,
                    help="with --block-time 0: mine an empty block after this many idle seconds (0: never)")
    ap.add_argument("--accounts", type=int, default=10, help="number of funded dev accounts")
    ap.add_argument("--accounts-file", help="write chainId, rpcUrl and the dev accounts' keys here (JSON)")
    ap.add_argument("--verbose", action="store_true", help="log every HTTP request and mining event")
    args = ap.parse_args(argv)
    if args.block_time < 0:
        ap.error("--block-time must be >= 0")
    if args.empty_blocks < 0:
        ap.error("--empty-blocks must be >= 0")
    if not 1 <= args.accounts <= 100:
        ap.error("--accounts must be in 1..100")

    def log(msg):
        if args.verbose:
            print(f"devchain: {msg}", file=sys.stderr, flush=True)

    chain = DevChain(num_accounts=args.accounts, block_time=args.block_time, log=log)
    Handler.api = Api(chain)
    Handler.verbose = args.verbose
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    url_host = f"[{host}]" if ":" in host else host
    rpc_url = f"http://{url_host}:{port}"

    accounts = [{"address": to_checksum_address(k.public_key.to_canonical_address()),
                 "privateKey": h(k.to_bytes())} for k in chain.dev_keys]
    if args.accounts_file:
        tmp = args.accounts_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"chainId": chain.chain_id, "rpcUrl": rpc_url, "accounts": accounts}, fh, indent=2)
            fh.write("\n")
        os.replace(tmp, args.accounts_file)

    print(f"chain id {chain.chain_id}; block time {args.block_time:g}s "
          f"({'one block per transaction' if args.block_time == 0 else 'interval mining'}); "
          f"ECDSA: {'libsecp256k1' if USING_LIBSECP256K1 else 'pure Python'}")
    print("funded dev accounts (1,000,000 ETH each; well-known keys, dev only):")
    for i, a in enumerate(accounts):
        print(f"  ({i}) {a['address']}  {a['privateKey']}")
    print(f"devchain ready on {rpc_url}", flush=True)

    stop = threading.Event()
    if args.block_time > 0:
        threading.Thread(target=miner_loop, args=(chain, stop), daemon=True, name="miner").start()
    elif args.empty_blocks > 0:
        threading.Thread(target=empty_block_loop, args=(chain, args.empty_blocks, stop), daemon=True, name="empty-blocks").start()

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
