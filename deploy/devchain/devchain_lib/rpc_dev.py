"""The dev-only JSON-RPC methods, for tests and the demo:

evm_mine([timestamp]) mines one block now (even while paused); miner_stop / miner_start pause
and resume mining; evm_increaseTime(seconds) -> total offset (hex); evm_setNextBlockTimestamp(ts);
dev_freezeHead / dev_thawHead (a node that answers but stopped following the chain);
dev_reorg(depth) (the last blocks replaced by another branch); dev_setSyncing(bool); dev_fund(address, weiHex) -> tx hash (sent from a faucet account that is
not one of the listed dev accounts, so it never disturbs their nonces); dev_accounts.
"""

from __future__ import annotations

import time

from eth_utils import to_checksum_address

from .chain import DEFAULT_TIP
from .encoding import h, param, parse_address, parse_quantity, q
from .errors import invalid_params

MAX_TIME_JUMP = 100 * 365 * 86400  # bound for evm_increaseTime & co. (timestamps are uint64)


class DevMethods:
    """Mixed into Api (rpc_methods.py), which provides self.chain."""

    def rpc_evm_mine(self, p):
        ts = param(p, 0, default=None)
        if isinstance(ts, dict):  # hardhat-style {timestamp: ...}
            ts = ts.get("timestamp")
        timestamp = parse_quantity(ts, "timestamp") if ts is not None else None
        if timestamp is not None and not 0 < timestamp <= self.chain.headers[-1].timestamp + MAX_TIME_JUMP:
            raise invalid_params("timestamp out of range")
        self.chain.mine(timestamp=timestamp)
        return "0x0"

    def rpc_dev_reorg(self, p):
        """dev_reorg(depth): the last `depth` blocks are replaced by another branch holding the
        same transactions in later blocks. Returns the fork block's number."""
        depth = parse_quantity(param(p, 0), "depth")
        return hex(self.chain.reorganise(depth))

    def rpc_miner_stop(self, p):
        self.chain.paused = True
        return None

    def rpc_miner_start(self, p):
        chain = self.chain
        was_paused = chain.paused
        chain.paused = False
        if was_paused and chain.block_time == 0 and chain._executable():
            chain.mine()  # everything that piled up, in one block
            while chain.mine(max_txs=1) > 0:
                pass
        return None

    def rpc_evm_increaseTime(self, p):
        seconds = param(p, 0, required=True, name="seconds")
        seconds = seconds if isinstance(seconds, int) and not isinstance(seconds, bool) else parse_quantity(seconds, "seconds")
        if not 0 <= seconds <= MAX_TIME_JUMP:
            raise invalid_params(f"seconds must be in 0..{MAX_TIME_JUMP}")
        chain = self.chain
        # Wall-clock offset for all later blocks, and at least `seconds` after
        # the head for the next one: in one-block-per-transaction mode the
        # chain's clock can run ahead of the wall clock (timestamps must rise
        # by >= 1 s per block), and the jump must still be `seconds`.
        chain.time_offset += seconds
        chain.min_next_timestamp = max(chain.min_next_timestamp, chain.headers[-1].timestamp + seconds)
        return q(chain.time_offset)

    def rpc_evm_setNextBlockTimestamp(self, p):
        ts = param(p, 0, required=True, name="timestamp")
        ts = ts if isinstance(ts, int) and not isinstance(ts, bool) else parse_quantity(ts, "timestamp")
        if not self.chain.headers[-1].timestamp < ts <= self.chain.headers[-1].timestamp + MAX_TIME_JUMP:
            raise invalid_params("timestamp must be after the latest block's (and at most 100 years later)")
        self.chain.next_timestamp = ts
        self.chain.time_offset = max(self.chain.time_offset, ts - int(time.time()))
        return None

    def rpc_dev_freezeHead(self, p):
        """From now on report the current head as the latest block (the chain goes on
        underneath): a node that answers but stopped following the chain."""
        self.chain.frozen_head = self.chain.head
        return q(self.chain.frozen_head)

    def rpc_dev_thawHead(self, p):
        self.chain.frozen_head = None
        return q(self.chain.head)

    def rpc_dev_setSyncing(self, p):
        flag = param(p, 0, required=True, name="syncing")
        if not isinstance(flag, bool):
            raise invalid_params("syncing must be true or false")
        self.chain.syncing = flag
        return flag

    def rpc_dev_fund(self, p):
        address = parse_address(param(p, 0, required=True, name="address"))
        amount = parse_quantity(param(p, 1, required=True, name="wei"), "wei")
        chain = self.chain
        fee_cap = 2 * chain.next_base_fee() + DEFAULT_TIP
        builder = chain.tx_builder
        unsigned = builder.new_unsigned_dynamic_fee_transaction(
            chain_id=chain.chain_id,
            nonce=chain.pending_nonce(chain.faucet_address),
            max_priority_fee_per_gas=DEFAULT_TIP,
            max_fee_per_gas=fee_cap,
            gas=21000,
            to=address,
            value=amount,
            data=b"",
            access_list=(),
        )
        signed = unsigned.as_signed_transaction(chain.faucet, chain_id=chain.chain_id)
        return h(chain.send_raw_transaction(signed.encode()))

    def rpc_dev_accounts(self, p):
        return [{"address": to_checksum_address(k.public_key.to_canonical_address()),
                 "privateKey": h(k.to_bytes())} for k in self.chain.dev_keys]
