"""The chain: py-evm (through eth-tester) with the node's own pool, mining, block and
transaction records, and log index.

Mining: with block_time 0 a block is mined per transaction as soon as it is executable;
otherwise the miner thread (timers.py) mines with whatever is pending. `paused` stops both.

Time: a block's timestamp is max(parent + 1, wall clock + time_offset), unless a test set
the next one (evm_setNextBlockTimestamp / evm_mine(timestamp)).
"""

from __future__ import annotations

import bisect
import threading
import time

import rlp
from eth_keys import keys as _keys
from eth_tester.backends.pyevm.main import (
    PyEVMBackend,
    generate_genesis_state_for_keys,
    get_default_account_keys,
)
from eth_utils import ValidationError as EVMValidationError
from eth_utils import keccak

from .blocks import render_block
from .calls import CallsMixin
from .encoding import h, parse_hash, parse_quantity
from .errors import RpcError, invalid_params
from .log_index import LogIndex
from .pool import TxPool, admit

DEFAULT_TIP = 10**9  # suggested priority fee: 1 gwei
# The faucet behind dev_fund: funded in genesis, not listed as a dev account.
FAUCET_KEY = keccak(b"mdrs-devchain-faucet")


class DevChain(CallsMixin):
    def __init__(self, num_accounts=10, block_time=0.0, log=None):
        self.lock = threading.RLock()
        self.log = log or (lambda msg: None)
        self.block_time = block_time
        self.paused = False
        self.time_offset = 0
        self.next_timestamp = None  # exact timestamp of the next block, if set
        self.min_next_timestamp = 0  # lower bound for the next block's timestamp
        # Test controls for a node that misbehaves: a frozen "latest" (the node keeps
        # answering, but stopped following the chain) and a syncing flag.
        self.frozen_head = None
        self.syncing = False
        self.last_block_at = time.monotonic()

        dev_keys = get_default_account_keys(quantity=num_accounts)
        faucet = _keys.PrivateKey(FAUCET_KEY)
        genesis_state = generate_genesis_state_for_keys(dev_keys)
        genesis_state.update(
            generate_genesis_state_for_keys([faucet], overrides={"balance": 10**9 * 10**18})
        )
        self.backend = PyEVMBackend(genesis_state=genesis_state)
        self.chain = self.backend.chain
        self.chain_id = self.chain.chain_id
        self.dev_keys = list(dev_keys)
        self.faucet = faucet
        self.faucet_address = faucet.public_key.to_canonical_address()
        self.accounts = [k.public_key.to_canonical_address() for k in self.dev_keys]
        # One fork for the whole chain: decode with its transaction builder.
        self.tx_builder = self.chain.get_vm().get_transaction_builder()

        self.pool = TxPool()
        self.logs = LogIndex()
        self.headers = []  # number -> header
        self.block_json = []  # number -> dict (without "transactions")
        self.block_txs = []  # number -> [tx hash]
        self.block_by_hash = {}  # hash -> number
        self.mined_tx = {}  # hash -> (tx json, receipt json)
        self._head_state = None
        self._call_vm_cache = None
        self._index_block(self.chain.get_canonical_block_by_number(0), [])

    # -- state -------------------------------------------------------------
    @property
    def head(self) -> int:
        return len(self.headers) - 1

    @property
    def visible_head(self) -> int:
        """The head as the node reports it: frozen, if a test froze it."""
        return self.head if self.frozen_head is None else min(self.frozen_head, self.head)

    def head_state(self):
        """py-evm state after the latest block (reads only)."""
        if self._head_state is None:
            self._head_state = self.chain.get_vm(at_header=self.headers[-1]).state
        return self._head_state

    def state_at(self, number: int):
        if number == self.head:
            return self.head_state()
        return self.chain.get_vm(at_header=self.headers[number]).state

    def pending_nonce(self, sender: bytes) -> int:
        nonce = self.head_state().get_nonce(sender)
        txs = self.pool.by_sender.get(sender, {})
        while nonce in txs:
            nonce += 1
        return nonce

    def next_base_fee(self) -> int:
        return self.chain.header.base_fee_per_gas or 0

    # -- block parameters --------------------------------------------------
    def resolve_block(self, tag, default="latest") -> int:
        """A block tag, number or EIP-1898 object -> a mined block number."""
        if tag is None:
            tag = default
        if isinstance(tag, dict):
            if "blockHash" in tag:
                bh = parse_hash(tag["blockHash"], "blockHash")
                if bh not in self.block_by_hash:
                    raise RpcError(-32000, f"header for hash not found: {h(bh)}")
                return self.block_by_hash[bh]
            if "blockNumber" in tag:
                return self.resolve_block(tag["blockNumber"])
            raise invalid_params("block object needs blockHash or blockNumber")
        if isinstance(tag, str) and not tag.startswith(("0x", "0X")):
            if tag in ("latest", "pending", "safe", "finalized"):
                return self.visible_head
            if tag == "earliest":
                return 0
            raise invalid_params(f"unknown block tag {tag!r}")
        n = parse_quantity(tag, "block number")
        if n > self.visible_head:
            raise RpcError(-32000, "header not found")
        return n

    # -- pool admission ----------------------------------------------------
    def send_raw_transaction(self, raw: bytes) -> bytes:
        tx_hash = admit(self, raw)
        if self.block_time == 0 and not self.paused:
            while self.mine(max_txs=1) > 0:
                pass
        return tx_hash

    # -- mining ------------------------------------------------------------
    def _executable(self):
        """Pool transactions that can run now, in order: by arrival across
        senders, by nonce within a sender."""
        state = self.head_state()
        heads = []
        for sender, txs in self.pool.by_sender.items():
            nonce = state.get_nonce(sender)
            if nonce in txs:
                heads.append((txs[nonce].seq, sender, nonce))
        heads.sort()
        return heads

    def mine(self, max_txs=None, timestamp=None) -> int:
        """Mine one block with executable pool transactions. Returns the
        number of transactions included (a block is mined even if 0, unless
        max_txs is set and nothing is executable)."""
        heads = self._executable()
        if max_txs is not None and not heads:
            return 0
        chain = self.chain
        parent = self.headers[-1]
        if timestamp is None:
            if self.next_timestamp is not None:
                timestamp = self.next_timestamp
            else:
                timestamp = max(int(time.time()) + self.time_offset, self.min_next_timestamp)
        self.next_timestamp = None
        self.min_next_timestamp = 0
        # py-evm fixes the pending header's timestamp when the previous block is
        # mined; refresh it so that block.timestamp is "now", not the time of
        # the previous block (this is how eth-tester's time_travel works too).
        chain.header = chain.header.copy(timestamp=max(parent.timestamp + 1, timestamp))
        base_fee = chain.header.base_fee_per_gas or 0

        included = []
        state_nonces = {}
        # Work through senders in arrival order of their next transaction.
        queue = list(heads)
        while queue and (max_txs is None or len(included) < max_txs):
            _, sender, nonce = queue.pop(0)
            ptx = self.pool.get(sender, nonce)
            if ptx is None:
                continue
            header = chain.header
            if ptx.tx.gas > header.gas_limit - header.gas_used:
                continue  # does not fit: next block
            if ptx.fee_cap < base_fee:
                continue  # base fee rose: wait for it to fall
            try:
                _, receipt, computation = chain.apply_transaction(ptx.tx)
            except EVMValidationError as exc:
                self.log(f"dropping {h(ptx.hash)}: {exc}")
                self.pool.remove(ptx)
                continue
            included.append((ptx, receipt, computation))
            state_nonces[sender] = nonce + 1
            nxt = self.pool.get(sender, nonce + 1)
            if nxt is not None:
                bisect.insort(queue, (nxt.seq, sender, nonce + 1))

        block_hash = self.backend.mine_blocks()[0]
        block = chain.get_block_by_hash(block_hash)
        for ptx, _, _ in included:
            self.pool.remove(ptx)
        for sender, nonce in state_nonces.items():
            self.pool.drop_stale(sender, nonce)
        self._index_block(block, included)
        self.last_block_at = time.monotonic()
        return len(included)

    def reorganise(self, depth: int) -> int:
        """Replaces the last `depth` blocks with another branch, as a reorganisation would: the
        chain goes back to the block before them, mines one empty block (so that every block
        from there on has another hash) and then the dropped blocks' transactions again, which
        land in later blocks than before. Returns the fork block's number."""
        with self.lock:
            head = self.head
            if not 1 <= depth <= head:
                raise invalid_params(f"depth must be from 1 to {head}")
            fork = head - depth
            dropped = []
            for number in range(fork + 1, head + 1):
                dropped.extend(self.chain.get_canonical_block_by_number(number).transactions)
            self.backend.revert_to_snapshot(self.headers[fork].hash)
            self.chain = self.backend.chain
            for number in range(fork + 1, head + 1):
                self.block_by_hash.pop(self.headers[number].hash, None)
                for tx_hash in self.block_txs[number]:
                    self.mined_tx.pop(tx_hash, None)
            del self.headers[fork + 1:]
            del self.block_json[fork + 1:]
            del self.block_txs[fork + 1:]
            self.logs.truncate(fork + 1)
            self._head_state = None
            self._call_vm_cache = None
            self.mine()
            for tx in dropped:
                raw = tx.encode() if hasattr(tx, "encode") else rlp.encode(tx)
                admit(self, raw)
            if not self.paused:
                while self.mine(max_txs=1) > 0:
                    pass
            self.log(f"reorganised: {depth} blocks after {fork} replaced, {len(dropped)} transactions mined again")
            return fork

    def _index_block(self, block, included):
        header = block.header
        number = header.block_number
        bj, tx_hashes, log_entries, mined = render_block(block, included)
        self.mined_tx.update(mined)
        self.headers.append(header)
        self.block_json.append(bj)
        self.block_txs.append(tx_hashes)
        self.block_by_hash[header.hash] = number
        self.logs.add_block(number, log_entries)
        self._head_state = None
        self._call_vm_cache = None
