"""The transaction pool: signed raw transactions by sender and nonce, and the admission
rules of a go-ethereum/Besu pool with their error messages (-32000): "invalid chain id",
"nonce too low", "already known", "replacement transaction underpriced" (needs +10% on fee
cap and tip), "transaction underpriced" (fee cap below the next block's base fee),
"insufficient funds for gas * price + value", "intrinsic gas too low", "exceeds block gas
limit". Transactions with a future nonce wait in the pool until the gap is filled.
"""

from __future__ import annotations

from .encoding import h
from .errors import RpcError, invalid_params

POOL_LIMIT = 10_000


class PoolTx:
    __slots__ = ("tx", "hash", "sender", "nonce", "fee_cap", "tip", "seq", "raw")

    def __init__(self, tx, raw, sender, seq):
        self.tx = tx
        self.raw = raw
        self.hash = tx.hash
        self.sender = sender
        self.nonce = tx.nonce
        self.fee_cap = tx.max_fee_per_gas
        self.tip = tx.max_priority_fee_per_gas
        self.seq = seq


class TxPool:
    def __init__(self):
        self.by_hash = {}
        self.by_sender = {}  # sender -> {nonce: PoolTx}
        self.seq = 0

    def __len__(self):
        return len(self.by_hash)

    def get(self, sender, nonce):
        return self.by_sender.get(sender, {}).get(nonce)

    def add(self, ptx: PoolTx):
        old = self.get(ptx.sender, ptx.nonce)
        if old is not None:
            del self.by_hash[old.hash]
        self.by_sender.setdefault(ptx.sender, {})[ptx.nonce] = ptx
        self.by_hash[ptx.hash] = ptx

    def remove(self, ptx: PoolTx):
        self.by_hash.pop(ptx.hash, None)
        txs = self.by_sender.get(ptx.sender)
        if txs is not None and txs.get(ptx.nonce) is ptx:
            del txs[ptx.nonce]
            if not txs:
                del self.by_sender[ptx.sender]

    def drop_stale(self, sender, state_nonce):
        """Forget the sender's transactions whose nonce is already used."""
        txs = self.by_sender.get(sender)
        if not txs:
            return
        for nonce in [n for n in txs if n < state_nonce]:
            self.remove(txs[nonce])

    def next_seq(self):
        self.seq += 1
        return self.seq


def calldata_floor(data: bytes) -> int:
    """EIP-7623 (Prague) floor: 21000 + 10 * (zero bytes + 4 * nonzero bytes)."""
    zeros = data.count(0)
    return 21000 + 10 * (zeros + 4 * (len(data) - zeros))


def admit(chain, raw: bytes) -> bytes:
    """Checks a raw transaction against `chain` (a DevChain) as a node's pool does and adds
    it to chain.pool (replacing the sender's transaction with the same nonce, if any).
    Returns the transaction hash; mining is the caller's business."""
    if not raw:
        raise invalid_params("empty transaction")
    try:
        tx = chain.tx_builder.decode(raw)
    except Exception as exc:  # rlp and py-evm raise many kinds
        raise RpcError(-32000, f"rlp: cannot decode transaction: {exc}") from None
    type_id = tx.type_id or 0
    if type_id not in (0, 1, 2):
        raise RpcError(-32000, "transaction type not supported")
    if tx.hash in chain.pool.by_hash:
        raise RpcError(-32000, "already known")
    # Chain id: eth-tester itself does not check it; real nodes do.
    if type_id == 0:
        if tx.v in (27, 28) or tx.chain_id != chain.chain_id:
            raise RpcError(-32000, "invalid chain id")
    elif tx.chain_id != chain.chain_id:
        raise RpcError(-32000, "invalid chain id")
    try:
        tx.validate()
        sender = tx.sender
        tx.check_signature_validity()
    except Exception as exc:
        msg = str(exc)
        if "Insufficient gas" in msg or "intrinsic" in msg.lower():
            raise RpcError(-32000, "intrinsic gas too low") from None
        raise RpcError(-32000, f"invalid sender: {msg}" if "ignature" in msg else f"invalid transaction: {msg}") from None
    if tx.gas < tx.intrinsic_gas:
        raise RpcError(-32000, "intrinsic gas too low")
    if tx.gas < calldata_floor(tx.data):
        raise RpcError(-32000, "insufficient gas for floor data gas cost")
    state = chain.head_state()
    state_nonce = state.get_nonce(sender)
    if tx.nonce < state_nonce:
        raise RpcError(-32000, "nonce too low")
    fee_cap, tip = tx.max_fee_per_gas, tx.max_priority_fee_per_gas
    if tip > fee_cap:
        raise RpcError(-32000, "max priority fee per gas higher than max fee per gas")
    if fee_cap < chain.next_base_fee():
        raise RpcError(-32000, "transaction underpriced")
    if tx.gas > chain.chain.header.gas_limit:
        raise RpcError(-32000, "exceeds block gas limit")
    if state.get_balance(sender) < tx.gas * fee_cap + tx.value:
        raise RpcError(-32000, "insufficient funds for gas * price + value")
    old = chain.pool.get(sender, tx.nonce)
    if old is not None:
        if fee_cap * 100 < old.fee_cap * 110 or tip * 100 < old.tip * 110:
            raise RpcError(-32000, "replacement transaction underpriced")
    elif len(chain.pool) >= POOL_LIMIT:
        raise RpcError(-32000, "txpool is full")
    ptx = PoolTx(tx, raw, sender, chain.pool.next_seq())
    chain.pool.add(ptx)
    if old is not None:
        chain.log(f"replaced {h(old.hash)} by {h(tx.hash)}")
    return tx.hash
