#!/usr/bin/env python3
"""Recover the sender of raw signed transactions with eth-account.

Reads one raw signed transaction per line on stdin (0x-hex; the prefix is
optional, blank lines are skipped) and prints one JSON object per line:

    {"raw": "0x...", "from": "0xChecksummed", "hash": "0x<keccak(raw)>"}

If a line cannot be parsed or recovered, prints {"raw": ..., "error": "..."}
for it instead, carries on, and exits with status 1 at the end.

Usage (from the repository root):

    printf '%s\n' 0xf86c... | .venv/bin/python Tests/vectors/recover_tx.py
"""

from __future__ import annotations

import json
import sys

from eth_account import Account
from eth_utils import keccak


def main() -> int:
    failed = False
    for line in sys.stdin:
        text = line.strip()
        if not text:
            continue
        raw_hex = text.lower()
        if raw_hex.startswith("0x"):
            raw_hex = raw_hex[2:]
        try:
            raw = bytes.fromhex(raw_hex)
            out = {
                "raw": "0x" + raw.hex(),
                "from": Account.recover_transaction(raw),
                "hash": "0x" + keccak(raw).hex(),
            }
        except Exception as exc:  # report and continue with the next line
            failed = True
            out = {"raw": text, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
