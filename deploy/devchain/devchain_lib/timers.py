"""The mining threads: interval mining (--block-time N) and empty blocks on an idle chain
(--empty-blocks N)."""

from __future__ import annotations

import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .chain import DevChain


def miner_loop(chain: DevChain, stop: threading.Event):
    next_tick = time.monotonic() + chain.block_time
    while not stop.wait(max(0.0, next_tick - time.monotonic())):
        next_tick += chain.block_time
        with chain.lock:
            if not chain.paused:
                try:
                    n = chain.mine()
                    chain.log(f"mined block {chain.head} with {n} transactions")
                except Exception:
                    traceback.print_exc(file=sys.stderr)


def empty_block_loop(chain: DevChain, interval: float, stop: threading.Event):
    """Mine an empty block whenever none was mined for `interval` seconds, as a QBFT or
    proof-of-stake network does: a node's head then always has a recent timestamp, which is how
    the gateway tells a live node from one that stopped following the chain."""
    while not stop.wait(min(interval, 0.5)):
        with chain.lock:
            if not chain.paused and time.monotonic() - chain.last_block_at >= interval:
                try:
                    chain.mine()
                except Exception:
                    traceback.print_exc(file=sys.stderr)
