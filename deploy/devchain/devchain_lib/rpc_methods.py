"""The JSON-RPC methods: dispatch, and the standard eth_ / net_ / web3_ methods."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .blocks import transaction_json
from .chain import DEFAULT_TIP
from .encoding import addr_json, h, param, parse_address, parse_data, parse_hash, parse_quantity, q
from .errors import RpcError, invalid_params
from .log_index import get_logs
from .rpc_dev import DevMethods

if TYPE_CHECKING:
    from .chain import DevChain

CLIENT_VERSION = "mdrs-devchain/1.0 (eth-tester py-evm)"


class Api(DevMethods):
    """The eth_ / net_ / web3_ methods (and, from DevMethods, the dev_ / evm_ / miner_ ones):
    each rpc_<name> method answers the JSON-RPC method <name>, under the chain's lock."""

    def __init__(self, chain: DevChain, rpc_url: str = ""):
        self.chain = chain
        self.rpc_url = rpc_url
        self.methods = {
            name[len("rpc_"):]: getattr(self, name) for name in dir(self) if name.startswith("rpc_")
        }

    def dispatch(self, method, params):
        fn = self.methods.get(method)
        if fn is None:
            raise RpcError(-32601, f"the method {method} does not exist/is not available")
        if params is None:
            params = []
        if not isinstance(params, list):
            raise invalid_params("params must be an array")
        with self.chain.lock:
            return fn(params)

    # -- node ----------------------------------------------------------------
    def rpc_web3_clientVersion(self, p):
        return CLIENT_VERSION

    def rpc_net_version(self, p):
        return str(self.chain.chain_id)

    def rpc_net_listening(self, p):
        return True

    def rpc_net_peerCount(self, p):
        return "0x0"

    def rpc_eth_syncing(self, p):
        if self.chain.syncing:
            head = self.chain.visible_head
            return {"startingBlock": q(0), "currentBlock": q(head), "highestBlock": q(head + 100)}
        return False

    def rpc_eth_chainId(self, p):
        return q(self.chain.chain_id)

    def rpc_eth_blockNumber(self, p):
        return q(self.chain.visible_head)

    def rpc_eth_accounts(self, p):
        return [addr_json(a) for a in self.chain.accounts]

    # -- fees ----------------------------------------------------------------
    def rpc_eth_gasPrice(self, p):
        return q(self.chain.next_base_fee() + DEFAULT_TIP)

    def rpc_eth_maxPriorityFeePerGas(self, p):
        return q(DEFAULT_TIP)

    def rpc_eth_feeHistory(self, p):
        count = parse_quantity(param(p, 0, required=True, name="blockCount"), "blockCount")
        newest = self.chain.resolve_block(param(p, 1, required=True, name="newestBlock"))
        percentiles = param(p, 2, default=None)
        if percentiles is not None:
            if not isinstance(percentiles, list) or not all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x <= 100
                    for x in percentiles) or percentiles != sorted(percentiles):
                raise invalid_params("rewardPercentiles must be increasing numbers in [0, 100]")
        count = max(0, min(count, 1024, newest + 1))
        oldest = newest - count + 1
        base_fees, ratios, rewards = [], [], []
        for n in range(oldest, newest + 1):
            header = self.chain.headers[n]
            base_fees.append(q(header.base_fee_per_gas or 0))
            ratios.append(header.gas_used / header.gas_limit if header.gas_limit else 0.0)
            if percentiles is not None:
                rewards.append([q(x) for x in self._rewards(n, header, percentiles)])
        if count:
            nxt = self.chain.headers[newest + 1] if newest + 1 <= self.chain.head else self.chain.chain.header
            base_fees.append(q(nxt.base_fee_per_gas or 0))
        result = {"oldestBlock": q(oldest if count else newest), "baseFeePerGas": base_fees,
                  "gasUsedRatio": ratios}
        if percentiles is not None:
            result["reward"] = rewards
        return result

    def _rewards(self, n, header, percentiles):
        """geth's method: effective tips sorted, weighted by gas used."""
        base = header.base_fee_per_gas or 0
        items = []
        for tx_hash in self.chain.block_txs[n]:
            tx_json, receipt = self.chain.mined_tx[tx_hash]
            price = int(receipt["effectiveGasPrice"], 16)
            items.append((max(price - base, 0), int(receipt["gasUsed"], 16)))
        if not items:
            return [0] * len(percentiles)
        items.sort()
        out = []
        total = header.gas_used or 1
        for pct in percentiles:
            threshold = total * pct / 100
            acc = 0
            chosen = items[-1][0]
            for tip, used in items:
                acc += used
                if acc >= threshold:
                    chosen = tip
                    break
            out.append(chosen)
        return out

    # -- state ---------------------------------------------------------------
    def _state_and_address(self, p):
        address = parse_address(param(p, 0, required=True, name="address"))
        number = self.chain.resolve_block(param(p, 1, default="latest"))
        return self.chain.state_at(number), address

    def rpc_eth_getBalance(self, p):
        state, address = self._state_and_address(p)
        return q(state.get_balance(address))

    def rpc_eth_getCode(self, p):
        state, address = self._state_and_address(p)
        return h(state.get_code(address))

    def rpc_eth_getStorageAt(self, p):
        address = parse_address(param(p, 0, required=True, name="address"))
        slot = parse_quantity(param(p, 1, required=True, name="slot"), "slot")
        state = self.chain.state_at(self.chain.resolve_block(param(p, 2, default="latest")))
        return h(state.get_storage(address, slot).to_bytes(32, "big"))

    def rpc_eth_getTransactionCount(self, p):
        address = parse_address(param(p, 0, required=True, name="address"))
        tag = param(p, 1, default="latest")
        if tag == "pending":
            return q(self.chain.pending_nonce(address))
        state = self.chain.state_at(self.chain.resolve_block(tag))
        return q(state.get_nonce(address))

    # -- execution -----------------------------------------------------------
    def rpc_eth_call(self, p):
        tx = param(p, 0, required=True, name="transaction")
        return h(self.chain.call(tx, param(p, 1, default="latest")))

    def rpc_eth_estimateGas(self, p):
        tx = param(p, 0, required=True, name="transaction")
        return q(self.chain.estimate_gas(tx, param(p, 1, default="latest")))

    def rpc_eth_sendRawTransaction(self, p):
        raw = parse_data(param(p, 0, required=True, name="data"), "data")
        return h(self.chain.send_raw_transaction(raw))

    def rpc_eth_sendTransaction(self, p):
        raise RpcError(-32601, "the method eth_sendTransaction does not exist/is not available: "
                       "sign locally and use eth_sendRawTransaction")

    # -- transactions and blocks -------------------------------------------
    def rpc_eth_getTransactionByHash(self, p):
        tx_hash = parse_hash(param(p, 0, required=True, name="hash"))
        mined = self.chain.mined_tx.get(tx_hash)
        if mined is not None:
            return mined[0]
        ptx = self.chain.pool.by_hash.get(tx_hash)
        if ptx is not None:
            return transaction_json(ptx.tx, ptx.sender, None, None, None, None)
        return None

    def rpc_eth_getTransactionReceipt(self, p):
        tx_hash = parse_hash(param(p, 0, required=True, name="hash"))
        mined = self.chain.mined_tx.get(tx_hash)
        return mined[1] if mined is not None else None

    def _block(self, number, full):
        bj = dict(self.chain.block_json[number])
        hashes = self.chain.block_txs[number]
        if full:
            bj["transactions"] = [self.chain.mined_tx[x][0] for x in hashes]
        else:
            bj["transactions"] = [h(x) for x in hashes]
        return bj

    def rpc_eth_getBlockByNumber(self, p):
        tag = param(p, 0, required=True, name="block")
        full = bool(param(p, 1, default=False))
        try:
            number = self.chain.resolve_block(tag)
        except RpcError as exc:
            if exc.code == -32000:
                return None
            raise
        return self._block(number, full)

    def rpc_eth_getBlockByHash(self, p):
        bh = parse_hash(param(p, 0, required=True, name="hash"))
        full = bool(param(p, 1, default=False))
        number = self.chain.block_by_hash.get(bh)
        return None if number is None else self._block(number, full)

    def rpc_eth_getBlockTransactionCountByNumber(self, p):
        number = self.chain.resolve_block(param(p, 0, required=True, name="block"))
        return q(len(self.chain.block_txs[number]))

    # -- logs ----------------------------------------------------------------
    def rpc_eth_getLogs(self, p):
        f = param(p, 0, required=True, name="filter")
        return get_logs(self.chain, f)
