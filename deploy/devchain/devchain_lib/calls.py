"""eth_call and eth_estimateGas: fee-free execution on top of a mined block, thrown away
afterwards. Reverts answer like geth: code 3, message "execution reverted" (": <reason>" for
Error(string)), data = the raw revert data, so custom errors can be decoded."""

from __future__ import annotations

from eth.exceptions import OutOfGas, Revert
from eth.vm.spoof import SpoofTransaction
from eth_utils import ValidationError as EVMValidationError

from .encoding import h, parse_address, parse_data, parse_quantity
from .errors import RpcError, invalid_params
from .pool import calldata_floor

ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")


class CallsMixin:
    """DevChain's calls. Uses the chain's chain, headers, head, accounts, resolve_block and
    _call_vm_cache (which DevChain resets whenever a block is mined)."""

    def _call_tx(self, params, state, gas_cap):
        if not isinstance(params, dict):
            raise invalid_params("transaction object expected")
        sender = parse_address(params["from"], "from") if params.get("from") else self.accounts[0]
        to = parse_address(params["to"], "to") if params.get("to") else b""
        data = params.get("input")
        if data is None:
            data = params.get("data")
        data = parse_data(data, "input") if data is not None else b""
        value = parse_quantity(params["value"], "value") if params.get("value") is not None else 0
        gas = parse_quantity(params["gas"], "gas") if params.get("gas") is not None else gas_cap
        gas = min(gas, gas_cap)
        return sender, to, data, value, gas

    def _execute(self, number, sender, to, data, value, gas):
        """Run a call on top of block `number`, fee-free (like geth's eth_call:
        any `from` works, with or without funds), and throw the state away."""
        vm = self._call_vm(number)
        state = vm.state
        if state.get_balance(sender) < value:
            raise RpcError(-32000, "insufficient funds for gas * price + value")
        unsigned = vm.create_unsigned_transaction(
            nonce=state.get_nonce(sender), gas_price=0, gas=gas, to=to, value=value, data=data)
        if gas < unsigned.intrinsic_gas:
            raise RpcError(-32000, f"intrinsic gas too low: have {gas}, want {unsigned.intrinsic_gas}")
        spoof = SpoofTransaction(unsigned, from_=sender)
        snapshot = state.snapshot()
        try:
            computation = state.apply_transaction(spoof)
        except EVMValidationError as exc:
            raise RpcError(-32000, str(exc)) from None
        finally:
            state.revert(snapshot)
        return computation

    def _call_vm(self, number):
        """A VM on top of block `number` for calls, kept while that block is
        the head so that its state caches stay warm (calls revert their
        changes). The header's base fee is zeroed: calls pay no fee."""
        cached = self._call_vm_cache
        if cached is not None and cached[0] == number and number == self.head:
            return cached[1]
        header = self.headers[number]
        if getattr(header, "base_fee_per_gas", None):
            header = header.copy(base_fee_per_gas=0)
        vm = self.chain.get_vm(at_header=header)
        if number == self.head:
            self._call_vm_cache = (number, vm)
        return vm

    @staticmethod
    def _raise_for(computation, gas):
        err = computation.error
        if isinstance(err, Revert):
            data = bytes(computation.output)
            message = "execution reverted"
            if data[:4] == ERROR_STRING_SELECTOR:
                try:
                    from eth_abi import decode as abi_decode

                    message += ": " + abi_decode(["string"], data[4:])[0]
                except Exception:
                    pass
            raise RpcError(3, message, h(data))
        if isinstance(err, OutOfGas):
            raise RpcError(-32000, "out of gas")
        raise RpcError(-32000, str(err) or type(err).__name__)

    def call(self, params, tag):
        number = self.resolve_block(tag)
        gas_cap = self.headers[number].gas_limit
        sender, to, data, value, gas = self._call_tx(params, None, gas_cap)
        computation = self._execute(number, sender, to, data, value, gas)
        if computation.is_error:
            self._raise_for(computation, gas)
        return bytes(computation.output)

    def estimate_gas(self, params, tag):
        number = self.resolve_block(tag)
        gas_cap = self.headers[number].gas_limit
        sender, to, data, value, gas = self._call_tx(params, None, gas_cap)
        if params.get("gas") is None:
            gas = gas_cap
        computation = self._execute(number, sender, to, data, value, gas)
        if computation.is_error:
            if isinstance(computation.error, OutOfGas):
                raise RpcError(-32000, f"gas required exceeds allowance ({gas})")
            self._raise_for(computation, gas)
        # Gas consumed before refunds (the limit must cover it), including the
        # intrinsic cost (and with it the creation cost when `to` is absent).
        used = gas - computation.get_gas_remaining()
        floor = calldata_floor(data)
        lo = max(used, floor)
        if self._succeeds(number, sender, to, data, value, lo):
            return lo
        # 63/64 rule of nested calls etc.: binary search up to the cap.
        hi = gas
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            if self._succeeds(number, sender, to, data, value, mid):
                hi = mid
            else:
                lo = mid
        return hi

    def _succeeds(self, number, sender, to, data, value, gas):
        try:
            return not self._execute(number, sender, to, data, value, gas).is_error
        except RpcError:
            return False
