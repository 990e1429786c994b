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
"""

from __future__ import annotations

import argparse
import bisect
import ctypes
import ctypes.util
import json
import os
import signal
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# ---------------------------------------------------------------------------
# Fast ECDSA recovery. eth-keys' pure-Python backend needs ~10 ms to recover a
# transaction's sender, which would dominate every transaction. The machine has
# Debian's libsecp256k1 (the Swift gateway links it), so use it through ctypes
# when it is there; otherwise fall back silently to the pure-Python backend.
# This must run before py-evm is imported.
# ---------------------------------------------------------------------------


def _load_libsecp256k1():
    names = ["libsecp256k1.so.1", "libsecp256k1.so.2", "libsecp256k1.so", "libsecp256k1.dylib"]
    found = ctypes.util.find_library("secp256k1")
    if found:
        names.insert(0, found)
    for name in names:
        try:
            lib = ctypes.CDLL(name)
            lib.secp256k1_ecdsa_recover  # the recovery module must be built in
            lib.secp256k1_ecdsa_sign_recoverable
        except (OSError, AttributeError):
            continue
        lib.secp256k1_context_create.restype = ctypes.c_void_p
        lib.secp256k1_context_create.argtypes = [ctypes.c_uint]
        for fn in (
            lib.secp256k1_ecdsa_recoverable_signature_parse_compact,
            lib.secp256k1_ecdsa_recover,
            lib.secp256k1_ec_pubkey_serialize,
            lib.secp256k1_ec_pubkey_create,
            lib.secp256k1_ecdsa_sign_recoverable,
            lib.secp256k1_ecdsa_recoverable_signature_serialize_compact,
            lib.secp256k1_ecdsa_signature_parse_compact,
            lib.secp256k1_ecdsa_signature_normalize,
            lib.secp256k1_ec_pubkey_parse,
            lib.secp256k1_ecdsa_verify,
        ):
            fn.restype = ctypes.c_int
        lib.secp256k1_ecdsa_recoverable_signature_parse_compact.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
        lib.secp256k1_ecdsa_recover.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]
        lib.secp256k1_ec_pubkey_serialize.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_char_p,
            ctypes.c_uint]
        lib.secp256k1_ec_pubkey_create.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
        lib.secp256k1_ecdsa_sign_recoverable.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p,
            ctypes.c_void_p]
        lib.secp256k1_ecdsa_recoverable_signature_serialize_compact.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_char_p]
        lib.secp256k1_ecdsa_signature_parse_compact.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
        lib.secp256k1_ecdsa_signature_normalize.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
        lib.secp256k1_ec_pubkey_parse.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
        lib.secp256k1_ecdsa_verify.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]
        # SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY: valid for every
        # library version (0.2+ treats them as NONE).
        ctx = lib.secp256k1_context_create(0x0201 | 0x0101)
        if not ctx:
            continue
        return lib, ctypes.c_void_p(ctx)
    return None, None


_SECP, _SECP_CTX = _load_libsecp256k1()

if _SECP is not None:
    from eth_keys.backends.native import NativeECCBackend
    from eth_keys.datatypes import PublicKey as _PublicKey
    from eth_keys.datatypes import Signature as _Signature
    from eth_keys.exceptions import BadSignature as _BadSignature

    class LibSecp256k1Backend(NativeECCBackend):
        """eth-keys backend on the system libsecp256k1 (recover, sign, derive)."""

        def ecdsa_recover(self, msg_hash, signature):
            sig64 = signature.r.to_bytes(32, "big") + signature.s.to_bytes(32, "big")
            recsig = ctypes.create_string_buffer(65)
            if not _SECP.secp256k1_ecdsa_recoverable_signature_parse_compact(
                    _SECP_CTX, recsig, sig64, signature.v):
                raise _BadSignature("invalid signature")
            pub = ctypes.create_string_buffer(64)
            if not _SECP.secp256k1_ecdsa_recover(_SECP_CTX, pub, recsig, bytes(msg_hash)):
                raise _BadSignature("cannot recover public key")
            return _PublicKey(self._serialize(pub), backend=self)

        def ecdsa_verify(self, msg_hash, signature, public_key):
            r, s = signature.rs
            if not (0 < r < _SECP_N and 0 < s < _SECP_N):
                return False
            sig = ctypes.create_string_buffer(64)
            if not _SECP.secp256k1_ecdsa_signature_parse_compact(
                    _SECP_CTX, sig, r.to_bytes(32, "big") + s.to_bytes(32, "big")):
                return False
            # libsecp256k1 only verifies low-s signatures; ECDSA itself (and
            # eth-keys) accepts both, and py-evm checks low-s separately.
            _SECP.secp256k1_ecdsa_signature_normalize(_SECP_CTX, sig, sig)
            pub = ctypes.create_string_buffer(64)
            if not _SECP.secp256k1_ec_pubkey_parse(_SECP_CTX, pub, b"\x04" + public_key.to_bytes(), 65):
                return False
            return bool(_SECP.secp256k1_ecdsa_verify(_SECP_CTX, sig, bytes(msg_hash), pub))

        def private_key_to_public_key(self, private_key):
            pub = ctypes.create_string_buffer(64)
            if not _SECP.secp256k1_ec_pubkey_create(_SECP_CTX, pub, private_key.to_bytes()):
                return super().private_key_to_public_key(private_key)
            return _PublicKey(self._serialize(pub), backend=self)

        def ecdsa_sign(self, msg_hash, private_key):
            recsig = ctypes.create_string_buffer(65)
            if not _SECP.secp256k1_ecdsa_sign_recoverable(
                    _SECP_CTX, recsig, bytes(msg_hash), private_key.to_bytes(), None, None):
                return super().ecdsa_sign(msg_hash, private_key)
            out = ctypes.create_string_buffer(64)
            recid = ctypes.c_int(0)
            _SECP.secp256k1_ecdsa_recoverable_signature_serialize_compact(
                _SECP_CTX, out, ctypes.byref(recid), recsig)
            r = int.from_bytes(out.raw[:32], "big")
            s = int.from_bytes(out.raw[32:], "big")
            return _Signature(vrs=(recid.value, r, s), backend=self)

        @staticmethod
        def _serialize(pub):
            out = ctypes.create_string_buffer(65)
            size = ctypes.c_size_t(65)
            _SECP.secp256k1_ec_pubkey_serialize(_SECP_CTX, out, ctypes.byref(size), pub, 2)
            return out.raw[1:65]

    _SECP_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

    # eth-keys looks its default backend up on every key operation (and tries to
    # import coincurve each time); answer with one instance of ours instead,
    # unless ECC_BACKEND_CLASS asks for a specific one.
    import eth_keys.backends as _eth_keys_backends

    _default_get_backend = _eth_keys_backends.get_backend
    _BACKEND = LibSecp256k1Backend()

    def _get_backend(import_path=None):
        if import_path is None and "ECC_BACKEND_CLASS" not in os.environ:
            return _BACKEND
        return _default_get_backend(import_path)

    _eth_keys_backends.get_backend = _get_backend

import rlp  # noqa: E402
from eth._utils.address import generate_contract_address  # noqa: E402
from eth.exceptions import OutOfGas, Revert  # noqa: E402
from eth_utils import ValidationError as EVMValidationError  # noqa: E402
from eth.vm.spoof import SpoofTransaction  # noqa: E402
from eth_keys import keys as _keys  # noqa: E402
from eth_tester.backends.pyevm.main import (  # noqa: E402
    PyEVMBackend,
    generate_genesis_state_for_keys,
    get_default_account_keys,
)
from eth_utils import keccak, to_checksum_address  # noqa: E402

CLIENT_VERSION = "mdrs-devchain/1.0 (eth-tester py-evm)"
ZERO_ADDRESS = b"\x00" * 20
ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")
MAX_BODY = 32 * 1024 * 1024
POOL_LIMIT = 10_000
MAX_TIME_JUMP = 100 * 365 * 86400  # bound for evm_increaseTime & co. (timestamps are uint64)
DEFAULT_TIP = 10**9  # suggested priority fee: 1 gwei
# The faucet behind dev_fund: funded in genesis, not listed as a dev account.
FAUCET_KEY = keccak(b"mdrs-devchain-faucet")


# ---------------------------------------------------------------------------
# JSON-RPC helpers
# ---------------------------------------------------------------------------
class RpcError(Exception):
    def __init__(self, code: int, message: str, data=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self):
        err = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err


def invalid_params(message: str) -> RpcError:
    return RpcError(-32602, f"invalid params: {message}")


def q(n: int) -> str:
    """A JSON-RPC quantity: 0x-hex without leading zeros."""
    return hex(n)


def h(b: bytes) -> str:
    """JSON-RPC data: 0x-hex."""
    return "0x" + bytes(b).hex()


def addr_json(b: bytes | None):
    return None if b is None else "0x" + bytes(b).hex()


def parse_quantity(value, name="quantity") -> int:
    if isinstance(value, bool):
        raise invalid_params(f"{name} must be a hex quantity")
    if isinstance(value, int):
        if value < 0:
            raise invalid_params(f"{name} must not be negative")
        return value
    if isinstance(value, str) and value[:2] in ("0x", "0X") and len(value) > 2:
        try:
            n = int(value[2:], 16)
        except ValueError:
            raise invalid_params(f"{name} is not a hex quantity: {value!r}") from None
        return n
    raise invalid_params(f"{name} must be a 0x-prefixed hex quantity, got {value!r}")


def parse_data(value, name="data") -> bytes:
    if not isinstance(value, str) or value[:2] not in ("0x", "0X"):
        raise invalid_params(f"{name} must be 0x-prefixed hex")
    s = value[2:]
    if len(s) % 2:
        raise invalid_params(f"{name} has an odd number of hex digits")
    try:
        return bytes.fromhex(s)
    except ValueError:
        raise invalid_params(f"{name} is not hex") from None


def parse_address(value, name="address") -> bytes:
    b = parse_data(value, name)
    if len(b) != 20:
        raise invalid_params(f"{name} must be 20 bytes")
    return b


def parse_hash(value, name="hash") -> bytes:
    b = parse_data(value, name)
    if len(b) != 32:
        raise invalid_params(f"{name} must be 32 bytes")
    return b


def _param(params, i, default=None, required=False, name=None):
    if i < len(params) and params[i] is not None:
        return params[i]
    if required:
        raise invalid_params(f"missing value for required argument {name or i}")
    return default


# ---------------------------------------------------------------------------
# Log index
# ---------------------------------------------------------------------------
class LogIndex:
    """All logs in chain order, with posting lists by address and by topic.

    A query picks the most selective constraint (address set, or the OR-set of
    one topic position), gathers its postings inside the block range with
    bisect, and checks the remaining constraints on those candidates only.
    """

    def __init__(self):
        self.logs = []  # (address bytes, topics tuple of bytes, json dict)
        self.block_start = []  # block number -> id of its first log
        self.by_address = {}
        self.by_topic = {}  # (position, topic) -> [ids]

    def add_block(self, number: int, entries):
        assert number == len(self.block_start)
        self.block_start.append(len(self.logs))
        for address, topics, obj in entries:
            i = len(self.logs)
            self.logs.append((address, topics, obj))
            self.by_address.setdefault(address, []).append(i)
            for pos, topic in enumerate(topics):
                self.by_topic.setdefault((pos, topic), []).append(i)

    def _range(self, first_block, last_block):
        lo = self.block_start[first_block]
        hi = self.block_start[last_block + 1] if last_block + 1 < len(self.block_start) else len(self.logs)
        return lo, hi

    @staticmethod
    def _postings(lists, lo, hi):
        out = []
        for lst in lists:
            a = bisect.bisect_left(lst, lo)
            b = bisect.bisect_left(lst, hi)
            out.append((b - a, lst, a, b))
        return out

    def query(self, first_block, last_block, addresses, topics):
        if first_block > last_block or first_block >= len(self.block_start):
            return []
        last_block = min(last_block, len(self.block_start) - 1)
        lo, hi = self._range(first_block, last_block)
        if lo >= hi:
            return []
        # candidate constraints: (count, [(count, list, a, b)...])
        options = []
        if addresses is not None:
            posts = self._postings([self.by_address.get(a, []) for a in addresses], lo, hi)
            options.append((sum(p[0] for p in posts), posts))
        for pos, alts in enumerate(topics):
            if alts is None:
                continue
            posts = self._postings([self.by_topic.get((pos, t), []) for t in alts], lo, hi)
            options.append((sum(p[0] for p in posts), posts))
        if options:
            _, posts = min(options, key=lambda o: o[0])
            ids = set()
            for _, lst, a, b in posts:
                ids.update(lst[a:b])
            candidates = sorted(ids)
        else:
            candidates = range(lo, hi)
        result = []
        for i in candidates:
            address, log_topics, obj = self.logs[i]
            if addresses is not None and address not in addresses:
                continue
            ok = True
            for pos, alts in enumerate(topics):
                if alts is None:
                    continue
                if pos >= len(log_topics) or log_topics[pos] not in alts:
                    ok = False
                    break
            if ok:
                result.append(obj)
        return result


# ---------------------------------------------------------------------------
# Transaction pool
# ---------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------
# The chain
# ---------------------------------------------------------------------------
class DevChain:
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
        if not raw:
            raise invalid_params("empty transaction")
        try:
            tx = self.tx_builder.decode(raw)
        except Exception as exc:  # rlp and py-evm raise many kinds
            raise RpcError(-32000, f"rlp: cannot decode transaction: {exc}") from None
        type_id = tx.type_id or 0
        if type_id not in (0, 1, 2):
            raise RpcError(-32000, "transaction type not supported")
        if tx.hash in self.pool.by_hash:
            raise RpcError(-32000, "already known")
        # Chain id: eth-tester itself does not check it; real nodes do.
        if type_id == 0:
            if tx.v in (27, 28) or tx.chain_id != self.chain_id:
                raise RpcError(-32000, "invalid chain id")
        elif tx.chain_id != self.chain_id:
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
        state = self.head_state()
        state_nonce = state.get_nonce(sender)
        if tx.nonce < state_nonce:
            raise RpcError(-32000, "nonce too low")
        fee_cap, tip = tx.max_fee_per_gas, tx.max_priority_fee_per_gas
        if tip > fee_cap:
            raise RpcError(-32000, "max priority fee per gas higher than max fee per gas")
        if fee_cap < self.next_base_fee():
            raise RpcError(-32000, "transaction underpriced")
        if tx.gas > self.chain.header.gas_limit:
            raise RpcError(-32000, "exceeds block gas limit")
        if state.get_balance(sender) < tx.gas * fee_cap + tx.value:
            raise RpcError(-32000, "insufficient funds for gas * price + value")
        old = self.pool.get(sender, tx.nonce)
        if old is not None:
            if fee_cap * 100 < old.fee_cap * 110 or tip * 100 < old.tip * 110:
                raise RpcError(-32000, "replacement transaction underpriced")
        elif len(self.pool) >= POOL_LIMIT:
            raise RpcError(-32000, "txpool is full")
        ptx = PoolTx(tx, raw, sender, self.pool.next_seq())
        self.pool.add(ptx)
        if old is not None:
            self.log(f"replaced {h(old.hash)} by {h(tx.hash)}")
        if self.block_time == 0 and not self.paused:
            while self.mine(max_txs=1) > 0:
                pass
        return tx.hash

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

    def _index_block(self, block, included):
        header = block.header
        number = header.block_number
        bhash = header.hash
        base_fee = getattr(header, "base_fee_per_gas", None)
        tx_hashes = []
        log_entries = []
        prev_cumulative = 0
        log_index = 0
        for index, (ptx, receipt, computation) in enumerate(included):
            tx = ptx.tx
            tx_hashes.append(tx.hash)
            gas_used = receipt.gas_used - prev_cumulative
            prev_cumulative = receipt.gas_used
            effective = tx.gas_price if (tx.type_id or 0) < 2 else min(
                tx.max_fee_per_gas, (base_fee or 0) + tx.max_priority_fee_per_gas)
            logs_json = []
            for entry in receipt.logs:
                topics = tuple(t.to_bytes(32, "big") for t in entry.topics)
                obj = {
                    "address": addr_json(entry.address),
                    "topics": [h(t) for t in topics],
                    "data": h(entry.data),
                    "blockNumber": q(number),
                    "blockHash": h(bhash),
                    "transactionHash": h(tx.hash),
                    "transactionIndex": q(index),
                    "logIndex": q(log_index),
                    "removed": False,
                }
                log_index += 1
                logs_json.append(obj)
                log_entries.append((bytes(entry.address), topics, obj))
            is_create = tx.to == b""
            tx_json = self._tx_json(tx, ptx.sender, bhash, number, index, base_fee)
            receipt_json = {
                "transactionHash": h(tx.hash),
                "transactionIndex": q(index),
                "blockHash": h(bhash),
                "blockNumber": q(number),
                "from": addr_json(ptx.sender),
                "to": None if is_create else addr_json(tx.to),
                "cumulativeGasUsed": q(receipt.gas_used),
                "gasUsed": q(gas_used),
                "effectiveGasPrice": q(effective),
                "contractAddress": addr_json(generate_contract_address(ptx.sender, tx.nonce)) if is_create else None,
                "logs": logs_json,
                "logsBloom": h(receipt.bloom.to_bytes(256, "big")),
                "type": q(tx.type_id or 0),
                "status": "0x1" if receipt.state_root == b"\x01" else "0x0",
            }
            self.mined_tx[tx.hash] = (tx_json, receipt_json)

        bj = {
            "number": q(number),
            "hash": h(bhash),
            "parentHash": h(header.parent_hash),
            "nonce": h(header.nonce),
            "mixHash": h(header.mix_hash),
            "sha3Uncles": h(header.uncles_hash),
            "logsBloom": h(header.bloom.to_bytes(256, "big")),
            "transactionsRoot": h(header.transaction_root),
            "stateRoot": h(header.state_root),
            "receiptsRoot": h(header.receipt_root),
            "miner": addr_json(header.coinbase),
            "difficulty": q(header.difficulty),
            "totalDifficulty": "0x0",
            "extraData": h(header.extra_data),
            "size": q(len(rlp.encode(block))),
            "gasLimit": q(header.gas_limit),
            "gasUsed": q(header.gas_used),
            "timestamp": q(header.timestamp),
            "uncles": [],
        }
        if base_fee is not None:
            bj["baseFeePerGas"] = q(base_fee)
        for attr, key, conv in (
            ("withdrawals_root", "withdrawalsRoot", h),
            ("blob_gas_used", "blobGasUsed", q),
            ("excess_blob_gas", "excessBlobGas", q),
            ("parent_beacon_block_root", "parentBeaconBlockRoot", h),
            ("requests_hash", "requestsHash", h),
        ):
            value = getattr(header, attr, None)
            if value is not None:
                bj[key] = conv(value)
        if hasattr(header, "withdrawals_root"):
            bj["withdrawals"] = []

        self.headers.append(header)
        self.block_json.append(bj)
        self.block_txs.append(tx_hashes)
        self.block_by_hash[bhash] = number
        self.logs.add_block(number, log_entries)
        self._head_state = None
        self._call_vm_cache = None

    def _tx_json(self, tx, sender, block_hash, number, index, base_fee):
        type_id = tx.type_id or 0
        obj = {
            "hash": h(tx.hash),
            "type": q(type_id),
            "nonce": q(tx.nonce),
            "blockHash": h(block_hash) if block_hash is not None else None,
            "blockNumber": q(number) if number is not None else None,
            "transactionIndex": q(index) if index is not None else None,
            "from": addr_json(sender),
            "to": None if tx.to == b"" else addr_json(tx.to),
            "value": q(tx.value),
            "gas": q(tx.gas),
            "input": h(tx.data),
            "r": q(tx.r),
            "s": q(tx.s),
        }
        if type_id == 0:
            obj["gasPrice"] = q(tx.gas_price)
            obj["v"] = q(tx.v)
            if tx.v not in (27, 28):
                obj["chainId"] = q(tx.chain_id)
        else:
            obj["chainId"] = q(tx.chain_id)
            obj["v"] = q(tx.y_parity)
            obj["yParity"] = q(tx.y_parity)
            obj["accessList"] = [
                {"address": addr_json(a), "storageKeys": [h(k.to_bytes(32, "big")) for k in keys_]}
                for a, keys_ in tx.access_list
            ]
            if type_id == 1:
                obj["gasPrice"] = q(tx.gas_price)
            else:
                obj["maxFeePerGas"] = q(tx.max_fee_per_gas)
                obj["maxPriorityFeePerGas"] = q(tx.max_priority_fee_per_gas)
                if number is not None:
                    obj["gasPrice"] = q(min(tx.max_fee_per_gas, (base_fee or 0) + tx.max_priority_fee_per_gas))
                else:
                    obj["gasPrice"] = q(tx.max_fee_per_gas)
        return obj

    # -- calls -------------------------------------------------------------
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


def calldata_floor(data: bytes) -> int:
    """EIP-7623 (Prague) floor: 21000 + 10 * (zero bytes + 4 * nonzero bytes)."""
    zeros = data.count(0)
    return 21000 + 10 * (zeros + 4 * (len(data) - zeros))


# ---------------------------------------------------------------------------
# JSON-RPC methods
# ---------------------------------------------------------------------------
class Api:
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
        count = parse_quantity(_param(p, 0, required=True, name="blockCount"), "blockCount")
        newest = self.chain.resolve_block(_param(p, 1, required=True, name="newestBlock"))
        percentiles = _param(p, 2, default=None)
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
        address = parse_address(_param(p, 0, required=True, name="address"))
        number = self.chain.resolve_block(_param(p, 1, default="latest"))
        return self.chain.state_at(number), address

    def rpc_eth_getBalance(self, p):
        state, address = self._state_and_address(p)
        return q(state.get_balance(address))

    def rpc_eth_getCode(self, p):
        state, address = self._state_and_address(p)
        return h(state.get_code(address))

    def rpc_eth_getStorageAt(self, p):
        address = parse_address(_param(p, 0, required=True, name="address"))
        slot = parse_quantity(_param(p, 1, required=True, name="slot"), "slot")
        state = self.chain.state_at(self.chain.resolve_block(_param(p, 2, default="latest")))
        return h(state.get_storage(address, slot).to_bytes(32, "big"))

    def rpc_eth_getTransactionCount(self, p):
        address = parse_address(_param(p, 0, required=True, name="address"))
        tag = _param(p, 1, default="latest")
        if tag == "pending":
            return q(self.chain.pending_nonce(address))
        state = self.chain.state_at(self.chain.resolve_block(tag))
        return q(state.get_nonce(address))

    # -- execution -----------------------------------------------------------
    def rpc_eth_call(self, p):
        tx = _param(p, 0, required=True, name="transaction")
        return h(self.chain.call(tx, _param(p, 1, default="latest")))

    def rpc_eth_estimateGas(self, p):
        tx = _param(p, 0, required=True, name="transaction")
        return q(self.chain.estimate_gas(tx, _param(p, 1, default="latest")))

    def rpc_eth_sendRawTransaction(self, p):
        raw = parse_data(_param(p, 0, required=True, name="data"), "data")
        return h(self.chain.send_raw_transaction(raw))

    def rpc_eth_sendTransaction(self, p):
        raise RpcError(-32601, "the method eth_sendTransaction does not exist/is not available: "
                       "sign locally and use eth_sendRawTransaction")

    # -- transactions and blocks -------------------------------------------
    def rpc_eth_getTransactionByHash(self, p):
        tx_hash = parse_hash(_param(p, 0, required=True, name="hash"))
        mined = self.chain.mined_tx.get(tx_hash)
        if mined is not None:
            return mined[0]
        ptx = self.chain.pool.by_hash.get(tx_hash)
        if ptx is not None:
            return self.chain._tx_json(ptx.tx, ptx.sender, None, None, None, None)
        return None

    def rpc_eth_getTransactionReceipt(self, p):
        tx_hash = parse_hash(_param(p, 0, required=True, name="hash"))
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
        tag = _param(p, 0, required=True, name="block")
        full = bool(_param(p, 1, default=False))
        try:
            number = self.chain.resolve_block(tag)
        except RpcError as exc:
            if exc.code == -32000:
                return None
            raise
        return self._block(number, full)

    def rpc_eth_getBlockByHash(self, p):
        bh = parse_hash(_param(p, 0, required=True, name="hash"))
        full = bool(_param(p, 1, default=False))
        number = self.chain.block_by_hash.get(bh)
        return None if number is None else self._block(number, full)

    def rpc_eth_getBlockTransactionCountByNumber(self, p):
        number = self.chain.resolve_block(_param(p, 0, required=True, name="block"))
        return q(len(self.chain.block_txs[number]))

    # -- logs ----------------------------------------------------------------
    def rpc_eth_getLogs(self, p):
        f = _param(p, 0, required=True, name="filter")
        if not isinstance(f, dict):
            raise invalid_params("filter object expected")
        chain = self.chain
        if f.get("blockHash") is not None:
            if f.get("fromBlock") is not None or f.get("toBlock") is not None:
                raise invalid_params("cannot specify both blockHash and fromBlock/toBlock")
            bh = parse_hash(f["blockHash"], "blockHash")
            number = chain.block_by_hash.get(bh)
            if number is None:
                raise RpcError(-32000, "unknown block")
            first = last = number
        else:
            first = self._log_block(f.get("fromBlock"))
            last = self._log_block(f.get("toBlock"))
            if first > chain.visible_head:
                return []  # polling "from the next block on" before it exists
            last = min(last, chain.visible_head)
            if first > last:
                raise RpcError(-32000, "invalid block range params")
        addresses = f.get("address")
        if addresses is None:
            address_set = None
        elif isinstance(addresses, str):
            address_set = {parse_address(addresses)}
        elif isinstance(addresses, list):
            address_set = {parse_address(a) for a in addresses} or None
        else:
            raise invalid_params("address must be an address or a list of addresses")
        topics_in = f.get("topics") or []
        if not isinstance(topics_in, list) or len(topics_in) > 4:
            raise invalid_params("topics must be a list of at most 4 entries")
        topics = []
        for t in topics_in:
            if t is None:
                topics.append(None)
            elif isinstance(t, str):
                topics.append({parse_hash(t, "topic")})
            elif isinstance(t, list):
                if any(x is None for x in t) or not t:
                    topics.append(None)  # a null in an OR-list matches anything
                else:
                    topics.append({parse_hash(x, "topic") for x in t})
            else:
                raise invalid_params("a topic must be null, a hash or a list of hashes")
        return chain.logs.query(first, last, address_set, topics)

    def _log_block(self, tag):
        chain = self.chain
        if tag is None or tag in ("latest", "pending", "safe", "finalized"):
            return chain.visible_head
        if tag == "earliest":
            return 0
        n = parse_quantity(tag, "block number")
        return min(n, chain.visible_head + 1)  # beyond the head: empty

    # -- dev -----------------------------------------------------------------
    def rpc_evm_mine(self, p):
        ts = _param(p, 0, default=None)
        if isinstance(ts, dict):  # hardhat-style {timestamp: ...}
            ts = ts.get("timestamp")
        timestamp = parse_quantity(ts, "timestamp") if ts is not None else None
        if timestamp is not None and not 0 < timestamp <= self.chain.headers[-1].timestamp + MAX_TIME_JUMP:
            raise invalid_params("timestamp out of range")
        self.chain.mine(timestamp=timestamp)
        return "0x0"

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
        seconds = _param(p, 0, required=True, name="seconds")
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
        ts = _param(p, 0, required=True, name="timestamp")
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
        flag = _param(p, 0, required=True, name="syncing")
        if not isinstance(flag, bool):
            raise invalid_params("syncing must be true or false")
        self.chain.syncing = flag
        return flag

    def rpc_dev_fund(self, p):
        address = parse_address(_param(p, 0, required=True, name="address"))
        amount = parse_quantity(_param(p, 1, required=True, name="wei"), "wei")
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


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------
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
          f"ECDSA: {'libsecp256k1' if _SECP is not None else 'pure Python'}")
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
