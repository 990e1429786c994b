#!/usr/bin/env python3
"""Reference-vector generator for the Swift `Ethereum` module.

Run from the repository root with the pinned venv:

    .venv/bin/python Tests/vectors/generate.py

It writes JSON fixtures into Tests/EthereumTests/Fixtures/.  Output is fully
deterministic: every random value comes from a `random.Random` seeded with a
fixed per-section string, and all keys are fixed, so reruns are byte-identical.

Conventions used in every file:
  * byte strings: lowercase 0x-hex ("0x" for empty)
  * integers: decimal strings (they may exceed 2^64), except inside
    eip712.json "typedData", which mirrors what wallets send (JSON numbers when
    |n| <= 2^53-1, decimal strings otherwise)
  * addresses (fields "address", "to", "from", ABI address values): EIP-55
"""

from __future__ import annotations

import json
import random
import sys
from importlib.metadata import version as pkg_version
from pathlib import Path

import rlp
from eth_abi import encode as abi_encode
from eth_abi.grammar import BasicType, TupleType, parse as abi_parse
from eth_account import Account
from eth_account._utils.encode_typed_data.encoding_and_hashing import (
    encode_type as ea_encode_type,
    hash_domain as ea_hash_domain,
    hash_struct as ea_hash_struct,
)
from eth_account.messages import (
    _hash_eip191_message,
    defunct_hash_message,
    encode_defunct,
    encode_typed_data,
)
from eth_keys import keys as ek
from eth_keys.backends.native.ecdsa import ecdsa_raw_recover
from eth_utils import keccak, to_checksum_address

GENERATOR = "Tests/vectors/generate.py"
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "EthereumTests" / "Fixtures"

TOOL = ", ".join(
    f"{p} {pkg_version(p)}"
    for p in ("eth-account", "eth-abi", "eth-utils", "eth-keys", "rlp", "hexbytes")
)

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
MAX_SAFE_JSON_INT = 2**53 - 1


# --------------------------------------------------------------------------- helpers


def hx(b: bytes) -> str:
    return "0x" + bytes(b).hex()


def dec(n: int) -> str:
    return str(int(n))


def rng_for(section: str) -> random.Random:
    return random.Random("mdrs-ethereum-vectors/" + section)


def rand_bytes(rng: random.Random, n: int) -> bytes:
    return rng.getrandbits(8 * n).to_bytes(n, "big") if n else b""


def rand_key(rng: random.Random) -> bytes:
    while True:
        k = rand_bytes(rng, 32)
        if 0 < int.from_bytes(k, "big") < SECP256K1_N:
            return k


def rand_address(rng: random.Random) -> str:
    return to_checksum_address(rand_bytes(rng, 20))


def key_bytes(k: int) -> bytes:
    return k.to_bytes(32, "big")


def address_of(priv: bytes) -> str:
    return Account.from_key(priv).address


def write(name: str, payload: dict) -> int:
    doc = {"generator": GENERATOR, "tool": TOOL}
    doc.update(payload)
    text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    data = text.encode("utf-8")
    (OUT / name).write_bytes(data)
    return len(data)


def check(cond: bool, msg: str) -> None:
    if not cond:
        raise AssertionError(msg)


# --------------------------------------------------------------------------- keccak


def gen_keccak() -> dict:
    rng = rng_for("keccak")
    inputs: list[bytes] = [b"", b"abc", b"\x00", b"\xff", b"\xcc"]
    for n in (31, 32, 33, 64, 135, 136, 137, 200, 271, 272, 273, 1000, 5000):
        inputs.append(rand_bytes(rng, n))
    for text in (
        "transfer(address,uint256)",
        "Transfer(address,address,uint256)",
        "balanceOf(address)",
        "Error(string)",
        "Panic(uint256)",
        "The quick brown fox jumps over the lazy dog",
        "Ethereum Signed Message",
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
        "I♥SF",
    ):
        inputs.append(text.encode("utf-8"))
    # rate boundaries with a recognisable pattern as well
    inputs.append(b"a" * 136)
    inputs.append(b"a" * 272)
    vectors = [{"input": hx(i), "hash": hx(keccak(i))} for i in inputs]
    check(
        vectors[0]["hash"]
        == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
        "keccak('')",
    )
    check(
        vectors[1]["hash"]
        == "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
        "keccak('abc')",
    )
    return {"vectors": vectors}


# --------------------------------------------------------------------------- keys


EIP55_EXAMPLES = [
    # from EIP-55
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
]


def gen_keys() -> dict:
    rng = rng_for("keys")
    privs = [
        1,
        2,
        3,
        0xFF,
        SECP256K1_N - 1,
        SECP256K1_N // 2,
        int("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", 16),
        int.from_bytes(keccak(b"cow"), "big"),
    ]
    while len(privs) < 14:
        privs.append(int.from_bytes(rand_key(rng), "big"))
    vectors = []
    for p in privs:
        pk = ek.PrivateKey(key_bytes(p))
        pub = pk.public_key
        addr = pub.to_checksum_address()
        check(addr == address_of(key_bytes(p)), "address mismatch")
        check(
            to_checksum_address(keccak(pub.to_bytes())[-20:]) == addr, "address derivation"
        )
        vectors.append(
            {
                "privateKey": hx(key_bytes(p)),
                "publicKey": hx(pub.to_bytes()),
                "compressedPublicKey": hx(pub.to_compressed_bytes()),
                "address": addr,
            }
        )
    check(vectors[0]["address"] == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", "key 1")

    lowers = [
        "0x" + "00" * 20,
        "0x" + "ff" * 20,
        "0x" + "00" * 19 + "01",
        "0x" + "ff" * 19 + "fe",
        "0x" + "ab" * 20,
        "0x" + "1234567890abcdef" * 2 + "12345678",
    ]
    lowers += [a.lower() for a in EIP55_EXAMPLES]
    while len(lowers) < 22:
        lowers.append(hx(rand_bytes(rng, 20)))
    checksum = []
    for lo in lowers:
        cs = to_checksum_address(lo)
        checksum.append({"lower": lo, "checksummed": cs})
    for ex in EIP55_EXAMPLES:
        check(to_checksum_address(ex.lower()) == ex, "EIP-55 example " + ex)
    return {"vectors": vectors, "checksum": checksum}


# --------------------------------------------------------------------------- rlp


def rlp_json(v) -> object:
    if isinstance(v, (bytes, bytearray)):
        return hx(v)
    return [rlp_json(x) for x in v]


def gen_rlp() -> dict:
    rng = rng_for("rlp")
    cases: list[tuple[str, object]] = [
        ("empty string", b""),
        ("single byte 0x00", b"\x00"),
        ("single byte 0x01", b"\x01"),
        ("single byte 0x7f", b"\x7f"),
        ("single byte 0x80", b"\x80"),
        ("single byte 0xff", b"\xff"),
        ("short string dog", b"dog"),
        ("integer 1024 as bytes", b"\x04\x00"),
        ("55-byte string (max short form)", rand_bytes(rng, 55)),
        ("56-byte string (min long form)", b"Lorem ipsum dolor sit amet, consectetur adipisicing elit"),
        ("255-byte string", rand_bytes(rng, 255)),
        ("256-byte string (2-byte length)", rand_bytes(rng, 256)),
        ("1024-byte string", rand_bytes(rng, 1024)),
        ("empty list", []),
        ("list of strings", [b"cat", b"dog"]),
        ("list with empty string", [b""]),
        ("list with single byte items", [b"\x00", b"\x7f", b"\x80"]),
        ("nested empty lists", [[], [[]]]),
        ("set theoretic representation of three", [[], [[]], [[], [[]]]]),
        (
            "mixed nesting",
            [b"cat", [b"puppy", b"cow"], b"horse", [[]], b"pig", [b""], b"sheep"],
        ),
        # payload = 0xb6 + 54 bytes = 55 bytes -> 0xf7 short list
        ("list payload exactly 55 bytes", [rand_bytes(rng, 54)]),
        # payload = 0xb7 + 55 bytes = 56 bytes -> 0xf8 0x38 long list
        ("list payload exactly 56 bytes", [rand_bytes(rng, 55)]),
        ("list payload 55 bytes of single bytes", [b"\x01"] * 55),
        ("list payload 56 bytes of single bytes", [b"\x01"] * 56),
        ("list payload 256 bytes (2-byte length)", [rand_bytes(rng, 253)]),
        ("list of 100 short strings", [rand_bytes(rng, rng.randint(0, 8)) for _ in range(100)]),
        ("list containing 1024-byte string", [b"\x05", rand_bytes(rng, 1024), []]),
    ]
    deep: object = []
    for _ in range(8):
        deep = [deep]
    cases.append(("deep nesting 9 levels", deep))
    deep = []
    for _ in range(63):
        deep = [deep]
    cases.append(("deep nesting 64 levels (crosses long-list boundary)", deep))
    deep = [b"leaf"]
    for i in range(20):
        deep = [bytes([i]), deep, b"x" * i]
    cases.append(("deep nesting with siblings", deep))

    vectors = []
    for name, value in cases:
        enc = rlp.encode(value)
        back = rlp.decode(enc, strict=True)
        check(rlp_json(back) == rlp_json(value), "rlp roundtrip " + name)
        vectors.append({"name": name, "value": rlp_json(value), "encoded": hx(enc)})

    enc = {v["name"]: v["encoded"] for v in vectors}
    check(enc["list payload exactly 55 bytes"].startswith("0xf7b6"), "55 list")
    check(enc["list payload exactly 56 bytes"].startswith("0xf838b7"), "56 list")
    check(enc["set theoretic representation of three"] == "0xc7c0c1c0c3c0c1c0", "set3")

    invalid = [
        ("single byte < 0x80 encoded with 0x81 prefix", "8100", "non-canonical: 0x00 must be encoded as itself"),
        ("single byte 0x7f encoded with 0x81 prefix", "817f", "non-canonical: bytes < 0x80 must be encoded as themselves"),
        ("short string in long form", "b805" + "61" * 5, "0xb8 used for a 5-byte string; must use 0x85"),
        ("long string with zero length", "b800", "long form with length 0 (and leading zero)"),
        ("long string length with leading zero byte", "b90038" + "61" * 56, "length 0x0038 has a leading zero byte"),
        ("short list in long form", "f802c0c0", "0xf8 used for a 2-byte list payload; must use 0xc2"),
        ("long list length with leading zero byte", "f90038" + "01" * 56, "length 0x0038 has a leading zero byte"),
        ("truncated string", "836162", "declares 3 bytes, only 2 present"),
        ("truncated long string", "b838" + "61" * 40, "declares 56 bytes, only 40 present"),
        ("truncated list", "c30102", "declares a 3-byte payload, only 2 present"),
        ("truncated length of length", "b9", "long-form prefix without its length bytes"),
        ("list declared length shorter than its items", "c283616263", "list declares 2 bytes but its first item needs 4"),
        ("trailing bytes after top-level item", "0102", "two top-level items"),
        ("trailing bytes after string", "8361626300", "extra byte after a complete string"),
        ("trailing bytes after list", "c0c0", "extra list after a complete list"),
        ("empty input", "", "no item at all"),
    ]
    inv = []
    for name, h, why in invalid:
        try:
            rlp.decode(bytes.fromhex(h), strict=True)
        except rlp.exceptions.DecodingError:
            pass
        else:
            raise AssertionError("pyrlp accepted invalid input " + name)
        inv.append({"name": name, "encoded": "0x" + h, "why": why})
    return {"vectors": vectors, "invalid": inv}


# --------------------------------------------------------------------------- abi


def abi_to_json(t, v):
    if t.is_array:
        return [abi_to_json(t.item_type, x) for x in v]
    if isinstance(t, TupleType):
        return [abi_to_json(c, x) for c, x in zip(t.components, v, strict=True)]
    base = t.base
    if base in ("uint", "int"):
        return dec(v)
    if base == "address":
        return to_checksum_address(v)
    if base == "bool":
        return bool(v)
    if base == "bytes":
        return hx(v)
    if base == "string":
        return v
    raise ValueError(f"unsupported type {t.to_type_str()}")


STRINGS = [
    "",
    "a",
    "hello",
    "Grüße, Jürgen",
    "日本語テキスト",
    "emoji 🩺💊",
    "x" * 31,
    "y" * 32,
    "z" * 33,
    "patient/record/42",
]


def rand_abi_value(t, rng: random.Random):
    if t.is_array:
        dim = t.arrlist[-1]
        n = dim[0] if dim else rng.choice([0, 1, 2, 3])
        return [rand_abi_value(t.item_type, rng) for _ in range(n)]
    if isinstance(t, TupleType):
        return tuple(rand_abi_value(c, rng) for c in t.components)
    base, sub = t.base, t.sub
    if base == "uint":
        r = rng.random()
        if r < 0.15:
            return 0
        if r < 0.3:
            return 2**sub - 1
        return rng.getrandbits(rng.randint(1, sub))
    if base == "int":
        r = rng.random()
        if r < 0.1:
            return -(2 ** (sub - 1))
        if r < 0.2:
            return 2 ** (sub - 1) - 1
        if r < 0.3:
            return -1
        v = rng.getrandbits(rng.randint(1, sub - 1))
        return -v if rng.random() < 0.5 else v
    if base == "address":
        return rand_address(rng)
    if base == "bool":
        return rng.random() < 0.5
    if base == "bytes":
        if sub is None:
            return rand_bytes(rng, rng.choice([0, 1, 20, 31, 32, 33, 64, rng.randint(0, 70)]))
        return rand_bytes(rng, sub)
    if base == "string":
        return rng.choice(STRINGS)
    raise ValueError(t.to_type_str())


BASE_TYPES = [
    "uint8", "uint16", "uint32", "uint64", "uint128", "uint256",
    "int8", "int24", "int64", "int256",
    "address", "bool", "bytes1", "bytes4", "bytes20", "bytes32",
    "bytes", "string",
]


# dynamic leaves weighted up so nested dynamic encodings are well covered
RANDOM_LEAF_TYPES = BASE_TYPES + ["bytes", "string"] * 3


def rand_abi_type(rng: random.Random, depth: int) -> str:
    r = rng.random()
    if depth <= 0 or r < 0.4:
        return rng.choice(RANDOM_LEAF_TYPES)
    if r < 0.75:
        inner = rand_abi_type(rng, depth - 1)
        if rng.random() < 0.5:
            return inner + "[]"
        return inner + f"[{rng.randint(1, 3)}]"
    n = rng.randint(1, 3)
    return "(" + ",".join(rand_abi_type(rng, depth - 1) for _ in range(n)) + ")"


def abi_vector(name: str, types: list[str], values: list) -> dict:
    parsed = [abi_parse(t) for t in types]
    for p in parsed:
        p.validate()
    enc = abi_encode(types, values)
    return {
        "name": name,
        "types": types,
        "values": [abi_to_json(p, v) for p, v in zip(parsed, values, strict=True)],
        "encoded": hx(enc),
    }


def gen_abi() -> dict:
    rng = rng_for("abi")
    A = [rand_address(rng) for _ in range(8)]
    B32 = [rand_bytes(rng, 32) for _ in range(6)]
    U256_MAX = 2**256 - 1
    cases: list[tuple[str, list[str], list]] = [
        ("address", ["address"], [A[0]]),
        ("address zero", ["address"], ["0x" + "00" * 20]),
        ("bool true/false", ["bool", "bool"], [True, False]),
        ("uint8 max", ["uint8"], [255]),
        ("uint64 max", ["uint64"], [2**64 - 1]),
        ("uint256 zero", ["uint256"], [0]),
        ("uint256 one", ["uint256"], [1]),
        ("uint256 max", ["uint256"], [U256_MAX]),
        ("int8 -1 and min", ["int8", "int8"], [-1, -128]),
        ("int8 max", ["int8"], [127]),
        ("int256 -1", ["int256"], [-1]),
        ("int256 min", ["int256"], [-(2**255)]),
        ("int256 max", ["int256"], [2**255 - 1]),
        ("int64 negative", ["int64"], [-1234567890123]),
        ("bytes1", ["bytes1"], [b"\xab"]),
        ("bytes32", ["bytes32"], [B32[0]]),
        ("bytes empty", ["bytes"], [b""]),
        ("bytes 32", ["bytes"], [B32[1]]),
        ("bytes 33", ["bytes"], [B32[2] + b"\x01"]),
        ("string empty", ["string"], [""]),
        ("string ascii", ["string"], ["Hello, World!"]),
        ("string unicode", ["string"], ["Grüße 🩺 日本"]),
        ("static mix", ["uint256", "address", "bool", "bytes32"], [42, A[1], True, B32[3]]),
        ("dynamic mix", ["uint256", "string", "bytes", "address"], [7, "dave", b"\x01\x02\x03", A[2]]),
        ("uint256[] empty", ["uint256[]"], [[]]),
        ("uint256[] three", ["uint256[]"], [[1, 2, U256_MAX]]),
        ("address[]", ["address[]"], [[A[0], A[1]]]),
        ("string[]", ["string[]"], [["one", "", "three ✓"]]),
        ("bytes[]", ["bytes[]"], [[b"", b"\x01", B32[4] + B32[5]]]),
        ("bytes[] empty", ["bytes[]"], [[]]),
        ("uint256[3] static array", ["uint256[3]"], [[1, 2, 3]]),
        ("address[3] static array", ["address[3]"], [[A[0], A[1], A[2]]]),
        ("string[3] fixed array of dynamic", ["string[3]"], [["a", "bb", ""]]),
        ("bytes[3] fixed array of dynamic", ["bytes[3]"], [[b"", b"\xff" * 33, b"\x00"]]),
        ("uint256[][] nested dynamic", ["uint256[][]"], [[[1, 2], [], [3]]]),
        ("uint256[][] empty outer", ["uint256[][]"], [[]]),
        ("uint256[2][] dynamic of static", ["uint256[2][]"], [[[1, 2], [3, 4]]]),
        ("uint256[][2] static of dynamic", ["uint256[][2]"], [[[1], [2, 3]]]),
        ("string[][] nested dynamic strings", ["string[][]"], [[["a", "b"], [], ["c"]]]),
        ("tuple static", ["(uint256,address,bool)"], [(5, A[3], False)]),
        ("tuple with dynamic members", ["(uint256,string,bytes)"], [(1, "name", b"\xde\xad\xbe\xef")]),
        ("tuple with dynamic array member", ["(address,bytes[])"], [(A[4], [b"\x01", b""])]),
        (
            "array of tuples with dynamic members",
            ["(address,bytes[])[]"],
            [[(A[0], [b"\xaa"]), (A[1], []), (A[2], [b"", b"\xbb" * 40])]],
        ),
        ("array of static tuples", ["(uint64,bytes32)[]"], [[(1, B32[0]), (2, B32[1])]]),
        (
            "tuple inside tuple inside array",
            ["((uint256,string),address)[]"],
            [[((1, "inner"), A[5]), ((2, ""), A[6])]],
        ),
        (
            "tuple inside tuple inside fixed array",
            ["((uint8,bytes),bool)[2]"],
            [[((1, b"\x01"), True), ((2, b""), False)]],
        ),
        ("empty dynamic array of tuples", ["(uint256,string)[]"], [[]]),
        (
            "access log batch",
            ["(bytes32,bytes32,bytes32,address,uint8,uint8,uint64,bytes32)[]"],
            [[
                (B32[0], B32[1], B32[2], A[7], 1, 2, 1767225600, B32[3]),
                (B32[4], B32[5], B32[0], A[0], 3, 0, 2**64 - 1, B32[1]),
            ]],
        ),
        (
            "multiple dynamic params",
            ["string", "uint256[]", "bytes", "(string,uint8)"],
            ["first", [9, 8], b"\x11" * 65, ("nested", 3)],
        ),
        ("no params", [], []),
    ]
    vectors = [abi_vector(n, t, v) for n, t, v in cases]

    seen = set()
    i = 0
    while i < 32:
        k = rng.randint(1, 3)
        types = [rand_abi_type(rng, 3) for _ in range(k)]
        key = tuple(types)
        if key in seen:
            continue
        seen.add(key)
        values = [rand_abi_value(abi_parse(t), rng) for t in types]
        vectors.append(abi_vector(f"random {i}", types, values))
        i += 1

    check(
        vectors[0]["encoded"] == "0x" + "00" * 12 + A[0][2:].lower(), "address encoding"
    )

    sigs = [
        "transfer(address,uint256)",
        "approve(address,uint256)",
        "transferFrom(address,address,uint256)",
        "balanceOf(address)",
        "totalSupply()",
        "supportsInterface(bytes4)",
        "multicall(bytes[])",
        "logAccess((bytes32,bytes32,bytes32,address,uint8,uint8,uint64,bytes32)[])",
        "grantAccess(bytes32,address,uint64)",
        "revokeGrant(bytes32)",
        "isGrantValid(bytes32,address)",
        "submit((address,(uint256,bytes)[],string)[],bytes32[3])",
    ]
    selectors = [{"signature": s, "selector": hx(keccak(text=s)[:4])} for s in sigs]
    known = {
        "transfer(address,uint256)": "0xa9059cbb",
        "approve(address,uint256)": "0x095ea7b3",
        "transferFrom(address,address,uint256)": "0x23b872dd",
        "balanceOf(address)": "0x70a08231",
        "totalSupply()": "0x18160ddd",
        "supportsInterface(bytes4)": "0x01ffc9a7",
        "multicall(bytes[])": "0xac9650d8",
    }
    for s in selectors:
        if s["signature"] in known:
            check(s["selector"] == known[s["signature"]], "selector " + s["signature"])

    tsigs = [
        "Transfer(address,address,uint256)",
        "Approval(address,address,uint256)",
        "OwnershipTransferred(address,address)",
        "Accessed(bytes32,address,address,address,bytes32,bytes32,uint8,uint8,uint64,bytes32)",
        "GrantIssued(bytes32,address,address,uint64)",
        "BatchLogged((bytes32,bytes32,bytes32,address,uint8,uint8,uint64,bytes32)[])",
    ]
    topics = [{"signature": s, "topic": hx(keccak(text=s))} for s in tsigs]
    check(
        topics[0]["topic"]
        == "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
        "Transfer topic",
    )

    err_cases = [
        ("Error(string)", ["string"], ["Grant expired"]),
        ("Error(string)", ["string"], [""]),
        ("Panic(uint256)", ["uint256"], [0x11]),
        ("Panic(uint256)", ["uint256"], [0x32]),
        ("GrantExpired(bytes32,uint64)", ["bytes32", "uint64"], [B32[2], 1767225600]),
        ("Unauthorized(address)", ["address"], [A[3]]),
        ("NotCustodian()", [], []),
        ("InvalidSignature(bytes,string)", ["bytes", "string"], [b"\x01" * 65, "bad v"]),
    ]
    errors = []
    for kind, types, values in err_cases:
        v = abi_vector(kind, types, values)
        data = keccak(text=kind)[:4] + abi_encode(types, values)
        errors.append({"kind": kind, "types": types, "values": v["values"], "data": hx(data)})
    check(errors[0]["data"].startswith("0x08c379a0"), "Error(string) selector")
    check(errors[2]["data"].startswith("0x4e487b71"), "Panic selector")

    events = gen_events(rng, A, B32)
    return {
        "vectors": vectors,
        "selectors": selectors,
        "topics": topics,
        "errors": errors,
        "events": events,
    }


def event_signature(name: str, inputs: list[dict]) -> str:
    return f"{name}({','.join(i['type'] for i in inputs)})"


def indexed_topic(type_str: str, value) -> bytes:
    t = abi_parse(type_str)
    if isinstance(t, BasicType) and not t.is_array:
        if t.base == "string":
            return keccak(value.encode("utf-8"))
        if t.base == "bytes" and t.sub is None:
            return keccak(value)
        return abi_encode([type_str], [value])
    raise ValueError("indexed reference types other than string/bytes not generated")


def gen_events(rng: random.Random, A: list[str], B32: list[bytes]) -> list[dict]:
    def inp(name, type_, indexed):
        return {"name": name, "type": type_, "indexed": indexed}

    defs = [
        (
            "Transfer",
            [inp("from", "address", True), inp("to", "address", True), inp("value", "uint256", False)],
            [A[0], A[1], 10**18],
        ),
        (
            "Accessed",
            [
                inp("token", "bytes32", True),
                inp("custodian", "address", True),
                inp("requester", "address", True),
                inp("gateway", "address", False),
                inp("recordHash", "bytes32", False),
                inp("nonce", "bytes32", False),
                inp("purpose", "uint8", False),
                inp("method", "uint8", False),
                inp("issuedAt", "uint64", False),
                inp("responseHash", "bytes32", False),
            ],
            [B32[0], A[2], A[3], A[4], B32[1], B32[2], 2, 1, 1767225600, B32[3]],
        ),
        (
            "Note",
            [inp("topic", "string", True), inp("author", "address", True), inp("payload", "bytes", False)],
            ["consent-revoked ✓", A[5], b"\x01\x02\x03"],
        ),
        (
            "Blob",
            [inp("key", "bytes", True), inp("note", "string", False)],
            [b"", "indexed empty bytes -> keccak(\"\")"],
        ),
        (
            "Flags",
            [
                inp("ok", "bool", True),
                inp("delta", "int8", True),
                inp("tag", "bytes4", True),
                inp("values", "uint256[]", False),
            ],
            [True, -2, b"\xde\xad\xbe\xef", [1, 2, 3]],
        ),
        (
            "Log",
            [
                inp("id", "uint256", False),
                inp("message", "string", False),
                inp("refs", "bytes32[]", False),
                inp("entries", "(address,uint64)[]", False),
            ],
            [7, "no indexed arguments", [B32[4], B32[5]], [(A[6], 1), (A[7], 2**64 - 1)]],
        ),
    ]
    out = []
    for name, inputs, values in defs:
        sig = event_signature(name, inputs)
        topics = [keccak(text=sig)]
        data_types, data_values = [], []
        for i, v in zip(inputs, values, strict=True):
            if i["indexed"]:
                topics.append(indexed_topic(i["type"], v))
            else:
                data_types.append(i["type"])
                data_values.append(v)
        check(len(topics) <= 4, "too many topics")
        data = abi_encode(data_types, data_values)
        out.append(
            {
                "signature": sig,
                "inputs": inputs,
                "values": [abi_to_json(abi_parse(i["type"]), v) for i, v in zip(inputs, values, strict=True)],
                "topics": [hx(t) for t in topics],
                "data": hx(data),
            }
        )
    return out


# --------------------------------------------------------------------------- transactions


def gen_transactions() -> dict:
    rng = rng_for("transactions")
    K = [rand_key(rng) for _ in range(8)]
    A = [rand_address(rng) for _ in range(8)]
    U256_MAX = 2**256 - 1
    BIG_CHAIN = 2**63 - 1

    legacy_cases = [
        # EIP-155 example from the EIP itself
        dict(key=b"\x46" * 32, chainId=1, nonce=9, gasPrice=20 * 10**9, gas=21000,
             to=to_checksum_address("0x" + "35" * 20), value=10**18, data=b""),
        dict(key=K[0], chainId=1337, nonce=0, gasPrice=1, gas=21000, to=A[0], value=1, data=b""),
        dict(key=K[1], chainId=20200, nonce=17, gasPrice=0, gas=300000, to=A[1], value=0,
             data=bytes.fromhex("a9059cbb") + abi_encode(["address", "uint256"], [A[2], 123456789])),
        dict(key=K[2], chainId=131277322940537, nonce=255, gasPrice=10**9, gas=100000, to=A[3],
             value=0, data=rand_bytes(rng, 100)),
        dict(key=K[3], chainId=BIG_CHAIN, nonce=1, gasPrice=7, gas=50000, to=A[4], value=5, data=b""),
        dict(key=K[4], chainId=1337, nonce=3, gasPrice=2 * 10**9, gas=3_000_000, to=None, value=0,
             data=rand_bytes(rng, 600)),
        dict(key=K[5], chainId=131277322940537, nonce=2**64 - 2, gasPrice=2**64, gas=2**63,
             to=A[5], value=U256_MAX, data=b"\x00"),
        dict(key=K[6], chainId=1, nonce=0, gasPrice=0, gas=0, to=A[6], value=0, data=b""),
        dict(key=K[7], chainId=20200, nonce=1024, gasPrice=1, gas=8_000_000, to=None, value=10**20,
             data=rand_bytes(rng, 2048)),
    ]
    legacy = []
    for c in legacy_cases:
        tx = {k: c[k] for k in ("chainId", "nonce", "gasPrice", "gas", "value", "data")}
        if c["to"] is not None:
            tx["to"] = c["to"]
        signed = Account.sign_transaction(tx, c["key"])
        raw = bytes(signed.raw_transaction)
        frm = address_of(c["key"])
        check(Account.recover_transaction(raw) == frm, "legacy recover")
        check(bytes(signed.hash) == keccak(raw), "legacy hash")
        check(signed.v in (c["chainId"] * 2 + 35, c["chainId"] * 2 + 36), "eip155 v")
        legacy.append(
            {
                "privateKey": hx(c["key"]),
                "chainId": dec(c["chainId"]),
                "nonce": dec(c["nonce"]),
                "gasPrice": dec(c["gasPrice"]),
                "gas": dec(c["gas"]),
                "to": c["to"],
                "value": dec(c["value"]),
                "data": hx(c["data"]),
                "raw": hx(raw),
                "hash": hx(signed.hash),
                "from": frm,
                "v": dec(signed.v),
                "r": dec(signed.r),
                "s": dec(signed.s),
            }
        )
    check(
        legacy[0]["raw"]
        == "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000"
        "8025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f76"
        "1aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83",
        "EIP-155 example",
    )

    def al(entries):
        return [{"address": a, "storageKeys": [hx(k) for k in ks]} for a, ks in entries]

    K2 = [rand_key(rng) for _ in range(9)]
    S = [rand_bytes(rng, 32) for _ in range(6)]
    eip1559_cases = [
        dict(key=K2[0], chainId=1, nonce=0, maxPriorityFeePerGas=10**9, maxFeePerGas=30 * 10**9,
             gas=21000, to=A[0], value=10**18, data=b"", accessList=[]),
        dict(key=K2[1], chainId=1337, nonce=5, maxPriorityFeePerGas=0, maxFeePerGas=0, gas=21000,
             to=A[1], value=0, data=b"", accessList=[]),
        dict(key=K2[2], chainId=20200, nonce=42, maxPriorityFeePerGas=2, maxFeePerGas=100,
             gas=200000, to=A[2], value=0,
             data=bytes.fromhex("a9059cbb") + abi_encode(["address", "uint256"], [A[3], 1]),
             accessList=al([(A[2], [S[0], S[1]]), (A[3], [])])),
        dict(key=K2[3], chainId=131277322940537, nonce=1, maxPriorityFeePerGas=1, maxFeePerGas=1,
             gas=500000, to=A[4], value=0, data=rand_bytes(rng, 68),
             accessList=al([(A[4], [S[2]])])),
        dict(key=K2[4], chainId=131277322940537, nonce=7, maxPriorityFeePerGas=10**9,
             maxFeePerGas=2 * 10**9, gas=5_000_000, to=None, value=0, data=rand_bytes(rng, 3000),
             accessList=[]),
        dict(key=K2[5], chainId=BIG_CHAIN, nonce=2**64 - 2, maxPriorityFeePerGas=2**64 - 1,
             maxFeePerGas=U256_MAX, gas=2**63, to=A[5], value=U256_MAX, data=b"\x00",
             accessList=al([(A[5], [S[3], S[4], S[5]]), (A[6], [S[0]]), (A[7], [])])),
        dict(key=K2[6], chainId=1, nonce=300, maxPriorityFeePerGas=1500000000,
             maxFeePerGas=1500000000, gas=1_000_000, to=None, value=12345,
             data=rand_bytes(rng, 40), accessList=al([(A[0], [S[1]])])),
        dict(key=K2[7], chainId=1337, nonce=0, maxPriorityFeePerGas=0, maxFeePerGas=1, gas=0,
             to=A[7], value=0, data=b"", accessList=al([(A[1], [])])),
        dict(key=K2[8], chainId=20200, nonce=65535, maxPriorityFeePerGas=3, maxFeePerGas=3,
             gas=90000, to=A[6], value=2**64, data=rand_bytes(rng, 1),
             accessList=al([(A[2], [S[2], S[2]])])),  # duplicate storage keys are legal
    ]
    eip1559 = []
    for c in eip1559_cases:
        tx = {
            "type": 2,
            **{k: c[k] for k in ("chainId", "nonce", "maxPriorityFeePerGas", "maxFeePerGas", "gas", "value", "data")},
            "accessList": [
                {"address": e["address"], "storageKeys": list(e["storageKeys"])}
                for e in c["accessList"]
            ],
        }
        if c["to"] is not None:
            tx["to"] = c["to"]
        signed = Account.sign_transaction(tx, c["key"])
        raw = bytes(signed.raw_transaction)
        check(raw[0] == 2, "type byte")
        frm = address_of(c["key"])
        check(Account.recover_transaction(raw) == frm, "1559 recover")
        check(bytes(signed.hash) == keccak(raw), "1559 hash")
        check(signed.v in (0, 1), "yParity")
        eip1559.append(
            {
                "privateKey": hx(c["key"]),
                "chainId": dec(c["chainId"]),
                "nonce": dec(c["nonce"]),
                "maxPriorityFeePerGas": dec(c["maxPriorityFeePerGas"]),
                "maxFeePerGas": dec(c["maxFeePerGas"]),
                "gas": dec(c["gas"]),
                "to": c["to"],
                "value": dec(c["value"]),
                "data": hx(c["data"]),
                "accessList": c["accessList"],
                "raw": hx(raw),
                "hash": hx(signed.hash),
                "from": frm,
                "yParity": dec(signed.v),
                "r": dec(signed.r),
                "s": dec(signed.s),
            }
        )
    return {"legacy": legacy, "eip1559": eip1559}


# --------------------------------------------------------------------------- signatures


def gen_signatures() -> dict:
    rng = rng_for("signatures")
    keys = [key_bytes(1), key_bytes(SECP256K1_N - 1), keccak(b"cow")] + [rand_key(rng) for _ in range(9)]
    digests = [
        b"\x00" * 32,
        b"\xff" * 32,  # >= n: nonce derivation must reduce the digest mod n first
        keccak(b""),
        keccak(b"hello"),
    ] + [rand_bytes(rng, 32) for _ in range(8)]
    vectors = []
    for priv, digest in zip(keys, digests, strict=True):
        sm = Account.unsafe_sign_hash(digest, priv)
        sig = bytes(sm.signature)
        check(len(sig) == 65 and sig[64] in (27, 28), "sig v")
        check(sm.s * 2 < SECP256K1_N, "low s")
        check(sig[:32] == sm.r.to_bytes(32, "big") and sig[32:64] == sm.s.to_bytes(32, "big"), "r||s")
        addr = address_of(priv)
        check(Account._recover_hash(digest, signature=sig) == addr, "recover")
        vectors.append(
            {
                "privateKey": hx(priv),
                "address": addr,
                "digest": hx(digest),
                "r": dec(sm.r),
                "s": dec(sm.s),
                "recoveryId": dec(sm.v - 27),
                "signature": hx(sig),
            }
        )

    high = []
    for v in vectors[:5]:
        r, s, rec = int(v["r"]), int(v["s"]), int(v["recoveryId"])
        hs, hrec = SECP256K1_N - s, rec ^ 1
        hsig = r.to_bytes(32, "big") + hs.to_bytes(32, "big") + bytes([27 + hrec])
        # mathematically the (r, n-s, flipped id) triple recovers the same key
        pub = ecdsa_raw_recover(bytes.fromhex(v["digest"][2:]), (hrec, r, hs))
        check(to_checksum_address(keccak(pub)[-20:]) == v["address"], "high-s recovers same key")
        check(hs * 2 > SECP256K1_N, "is high s")
        high.append(
            {
                "privateKey": v["privateKey"],
                "address": v["address"],
                "digest": v["digest"],
                "r": dec(r),
                "s": dec(hs),
                "recoveryId": dec(hrec),
                "signature": hx(hsig),
                "original": {
                    "r": v["r"],
                    "s": v["s"],
                    "recoveryId": v["recoveryId"],
                    "signature": v["signature"],
                },
            }
        )
    return {"vectors": vectors, "highS": high}


# --------------------------------------------------------------------------- eip191


def gen_eip191() -> dict:
    rng = rng_for("eip191")
    doc_key = bytes.fromhex("b25c7db31feed9122727bf0939dc769a96564b2de4c4726d035b36ecf1e5b364")
    msgs: list[tuple[bytes, str | None, bytes]] = []

    def add_text(t: str, key: bytes) -> None:
        msgs.append((t.encode("utf-8"), t, key))

    def add_bytes(b: bytes, key: bytes) -> None:
        msgs.append((b, None, key))

    add_text("", rand_key(rng))
    add_text("I♥SF", doc_key)
    add_text("hello", rand_key(rng))
    add_text("0123456789", rand_key(rng))  # length 10: two-digit length in header
    add_text("Sign in to MDRS Gateway\nNonce: 8f3c2a\nIssued At: 2026-01-01T00:00:00Z", rand_key(rng))
    add_text("Grüße aus Zürich — 日本語 — 🩺", rand_key(rng))
    add_text("x" * 100, rand_key(rng))  # three-digit length
    add_bytes(keccak(b"record-42"), rand_key(rng))  # signing a 32-byte hash as raw bytes
    add_bytes(b"\x00", rand_key(rng))
    add_bytes(b"\xff\xfe\x80", rand_key(rng))  # not valid UTF-8
    add_bytes(rand_bytes(rng, 1000), rand_key(rng))

    vectors = []
    for body, text, key in msgs:
        sm = encode_defunct(text=text) if text is not None else encode_defunct(primitive=body)
        check(sm.body == body, "body")
        digest = _hash_eip191_message(sm)
        check(bytes(defunct_hash_message(primitive=body)) == bytes(digest), "defunct hash")
        check(
            digest == keccak(b"\x19Ethereum Signed Message:\n" + str(len(body)).encode() + body),
            "manual eip191",
        )
        signed = Account.sign_message(sm, key)
        addr = address_of(key)
        check(Account.recover_message(sm, signature=signed.signature) == addr, "recover msg")
        vectors.append(
            {
                "message": hx(body),
                "messageText": text,
                "digest": hx(digest),
                "privateKey": hx(key),
                "signature": hx(signed.signature),
                "address": addr,
            }
        )
    check(
        vectors[1]["signature"]
        == "0xe6ca9bba58c88611fad66a6ce8f996908195593807c4b38bd528d2cff09d4eb33e5bfbbf4d3e39b1a2"
        "fd816a7680c19ebebaf3a141b239934ad43cb33fcec8ce1c",
        "eth-account doc example",
    )
    return {"vectors": vectors}


# --------------------------------------------------------------------------- eip712
# Independent, straightforward EIP-712 implementation used to cross-check eth-account.


def _712_deps(t: str, types: dict, acc: set) -> set:
    t = t.split("[", 1)[0]
    if t in acc or t not in types:
        return acc
    acc.add(t)
    for f in types[t]:
        _712_deps(f["type"], types, acc)
    return acc


def my_encode_type(primary: str, types: dict) -> str:
    deps = _712_deps(primary, types, set())
    deps.discard(primary)
    out = ""
    for t in [primary] + sorted(deps):
        out += t + "(" + ",".join(f"{f['type']} {f['name']}" for f in types[t]) + ")"
    return out


def _712_int(v) -> int:
    if isinstance(v, str):
        return int(v, 16) if v.startswith(("0x", "0X")) else int(v, 10)
    return int(v)


def _712_bytes(v) -> bytes:
    return bytes.fromhex(v[2:]) if isinstance(v, str) else bytes(v)


def my_encode_value(t: str, v, types: dict) -> bytes:
    if t.endswith("]"):
        inner = t[: t.rindex("[")]
        return keccak(b"".join(my_encode_value(inner, x, types) for x in v))
    if t in types:
        return keccak(my_encode_data(t, v, types))
    if t == "string":
        return keccak(v.encode("utf-8"))
    if t == "bytes":
        return keccak(_712_bytes(v))
    if t == "bool":
        return (1 if v else 0).to_bytes(32, "big")
    if t == "address":
        return b"\x00" * 12 + bytes.fromhex(v[2:])
    if t.startswith("uint"):
        n = _712_int(v)
        check(0 <= n < 2 ** int(t[4:] or 256), "uint range")
        return n.to_bytes(32, "big")
    if t.startswith("int"):
        n = _712_int(v)
        bits = int(t[3:] or 256)
        check(-(2 ** (bits - 1)) <= n < 2 ** (bits - 1), "int range")
        return (n % 2**256).to_bytes(32, "big")
    if t.startswith("bytes"):
        b = _712_bytes(v)
        check(len(b) == int(t[5:]), "bytesN length")
        return b + b"\x00" * (32 - len(b))
    raise ValueError(t)


def my_encode_data(t: str, v: dict, types: dict) -> bytes:
    out = keccak(text=my_encode_type(t, types))
    for f in types[t]:
        out += my_encode_value(f["type"], v[f["name"]], types)
    return out


def my_hash_struct(t: str, v: dict, types: dict) -> bytes:
    return keccak(my_encode_data(t, v, types))


DOMAIN_FIELDS = [
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
    ("salt", "bytes32"),
]


def jnum(n: int):
    """Integers as wallets send them: JSON number when safe, decimal string otherwise."""
    return n if -MAX_SAFE_JSON_INT <= n <= MAX_SAFE_JSON_INT else str(n)


def typed(domain: dict, types: dict, primary: str, message: dict) -> dict:
    dom_types = [{"name": n, "type": t} for n, t in DOMAIN_FIELDS if n in domain]
    return {
        "types": {"EIP712Domain": dom_types, **types},
        "primaryType": primary,
        "domain": domain,
        "message": message,
    }


def gen_eip712() -> dict:
    rng = rng_for("eip712")
    A = [rand_address(rng) for _ in range(8)]
    B = [hx(rand_bytes(rng, 32)) for _ in range(8)]

    cases: list[tuple[str, dict, bytes]] = []

    # 1. canonical EIP-712 example
    cow = keccak(b"cow")
    cases.append((
        "EIP-712 Mail example",
        typed(
            {"name": "Ether Mail", "version": "1", "chainId": 1,
             "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
            {
                "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
                "Mail": [
                    {"name": "from", "type": "Person"},
                    {"name": "to", "type": "Person"},
                    {"name": "contents", "type": "string"},
                ],
            },
            "Mail",
            {
                "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
                "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
                "contents": "Hello, Bob!",
            },
        ),
        cow,
    ))

    # 2. nested struct with array of structs, bytes and string
    cases.append((
        "nested structs with struct array, bytes and string",
        typed(
            {"name": "Ether Mail", "version": "2", "chainId": 1337, "verifyingContract": A[0]},
            {
                "Person": [
                    {"name": "name", "type": "string"},
                    {"name": "wallets", "type": "address[]"},
                ],
                "Attachment": [
                    {"name": "mime", "type": "string"},
                    {"name": "content", "type": "bytes"},
                ],
                "Mail": [
                    {"name": "from", "type": "Person"},
                    {"name": "to", "type": "Person[]"},
                    {"name": "contents", "type": "string"},
                    {"name": "attachments", "type": "Attachment[]"},
                    {"name": "signature", "type": "bytes"},
                ],
            },
            "Mail",
            {
                "from": {"name": "Cow", "wallets": [A[1], A[2]]},
                "to": [
                    {"name": "Bob", "wallets": [A[3]]},
                    {"name": "Zoë 🐄", "wallets": []},
                ],
                "contents": "Hello, Bob! — Grüße",
                "attachments": [
                    {"mime": "text/plain", "content": hx(b"hi there")},
                    {"mime": "application/octet-stream", "content": "0x"},
                ],
                "signature": hx(rand_bytes(rng, 65)),
            },
        ),
        rand_key(rng),
    ))

    # 3. arrays of primitives
    cases.append((
        "arrays of primitives",
        typed(
            {"name": "Arrays", "version": "1", "chainId": 20200},
            {
                "Batch": [
                    {"name": "amounts", "type": "uint256[]"},
                    {"name": "recipients", "type": "address[]"},
                    {"name": "ids", "type": "bytes32[]"},
                    {"name": "flags", "type": "bool[]"},
                    {"name": "labels", "type": "string[]"},
                    {"name": "blobs", "type": "bytes[]"},
                    {"name": "deltas", "type": "int256[]"},
                    {"name": "empty", "type": "uint256[]"},
                    {"name": "matrix", "type": "uint256[][]"},
                ],
            },
            "Batch",
            {
                "amounts": [1, 1000000, jnum(2**64), jnum(2**256 - 1)],
                "recipients": [A[4], A[5], A[6]],
                "ids": [B[0], B[1]],
                "flags": [True, False, True],
                "labels": ["a", "", "日本"],
                "blobs": ["0x", "0x00", hx(rand_bytes(rng, 40))],
                "deltas": [-1, 0, 1, jnum(-(2**255))],
                "empty": [],
                "matrix": [[1, 2], [], [3]],
            },
        ),
        rand_key(rng),
    ))

    # 4. fixed-size arrays, all five domain fields (incl. salt)
    cases.append((
        "fixed-size arrays and full domain with salt",
        typed(
            {"name": "Fixed", "version": "3", "chainId": 1, "verifyingContract": A[7], "salt": B[2]},
            {
                "Point": [{"name": "x", "type": "int64"}, {"name": "y", "type": "int64"}],
                "Shape": [
                    {"name": "triangle", "type": "Point[3]"},
                    {"name": "weights", "type": "uint8[3]"},
                    {"name": "keys", "type": "bytes32[2]"},
                    {"name": "tag", "type": "bytes4"},
                    {"name": "owner", "type": "address"},
                ],
            },
            "Shape",
            {
                "triangle": [{"x": 0, "y": 0}, {"x": -5, "y": 10}, {"x": jnum(2**63 - 1), "y": jnum(-(2**63))}],
                "weights": [0, 128, 255],
                "keys": [B[3], B[4]],
                "tag": "0xdeadbeef",
                "owner": A[0],
            },
        ),
        rand_key(rng),
    ))

    # 5. partial domain (name + chainId only), chainId above 2^53 -> decimal string
    cases.append((
        "partial domain with chainId above 2^53",
        typed(
            {"name": "Partial", "chainId": jnum(2**63 - 1)},
            {
                "Vote": [
                    {"name": "proposal", "type": "uint256"},
                    {"name": "support", "type": "bool"},
                    {"name": "reason", "type": "string"},
                    {"name": "weight", "type": "uint128"},
                ],
            },
            "Vote",
            {"proposal": jnum(2**200 + 7), "support": False, "reason": "", "weight": jnum(2**128 - 1)},
        ),
        rand_key(rng),
    ))

    # 6. domain with only verifyingContract and salt
    cases.append((
        "domain with only verifyingContract and salt",
        typed(
            {"verifyingContract": A[1], "salt": B[5]},
            {"Ping": [{"name": "nonce", "type": "uint64"}, {"name": "data", "type": "bytes"}]},
            "Ping",
            {"nonce": 1, "data": "0x0102030405"},
        ),
        rand_key(rng),
    ))

    # 7/8. our fetch request (chainId above 2^32)
    fetch_types = {
        "FetchRequest": [
            {"name": "token", "type": "bytes32"},
            {"name": "encryptedAddress", "type": "string"},
            {"name": "purpose", "type": "uint8"},
            {"name": "nonce", "type": "bytes32"},
            {"name": "issuedAt", "type": "uint64"},
            {"name": "custodian", "type": "address"},
            {"name": "method", "type": "string"},
            {"name": "path", "type": "string"},
        ]
    }
    gateway_contract = A[2]
    fetch_domain = {"name": "MDRS Gateway", "version": "1", "chainId": 131277322940537,
                    "verifyingContract": gateway_contract}
    cases.append((
        "MDRS FetchRequest",
        typed(
            fetch_domain,
            fetch_types,
            "FetchRequest",
            {
                "token": B[6],
                "encryptedAddress": "BASE64:q2Vx3n0vYpC8bW1k9sR0uJ7tZ4aLmE5fHgD6iQwO+yA=",
                "purpose": 1,
                "nonce": B[7],
                "issuedAt": 1767225600,
                "custodian": A[3],
                "method": "GET",
                "path": "/v1/records/8f14e45fceea167a5a36dedd4bea2543",
            },
        ),
        rand_key(rng),
    ))
    cases.append((
        "MDRS FetchRequest edge values",
        typed(
            fetch_domain,
            fetch_types,
            "FetchRequest",
            {
                "token": "0x" + "00" * 32,
                "encryptedAddress": "",
                "purpose": 255,
                "nonce": "0x" + "ff" * 32,
                "issuedAt": jnum(2**64 - 1),
                "custodian": "0x" + "00" * 20,
                "method": "POST",
                "path": "/v1/records/ü?q=a b&x=🩺",
            },
        ),
        rand_key(rng),
    ))

    vectors = []
    for name, td, key in cases:
        types = td["types"]
        primary = td["primaryType"]
        msg_types = {k: v for k, v in types.items() if k != "EIP712Domain"}

        # eth-account
        signable = encode_typed_data(full_message=td)
        ea_digest = _hash_eip191_message(signable)
        ea_ds = ea_hash_domain(td["domain"])
        ea_sh = ea_hash_struct(primary, msg_types, td["message"])
        check(bytes(signable.header) == ea_ds, "header is domain separator " + name)
        check(bytes(signable.body) == ea_sh, "body is struct hash " + name)

        # independent implementation
        my_ds = my_hash_struct("EIP712Domain", td["domain"], types)
        my_sh = my_hash_struct(primary, td["message"], types)
        my_digest = keccak(b"\x19\x01" + my_ds + my_sh)
        check(my_ds == ea_ds, "domainSeparator mismatch " + name)
        check(my_sh == ea_sh, "structHash mismatch " + name)
        check(my_digest == ea_digest, "digest mismatch " + name)
        check(my_encode_type(primary, msg_types) == ea_encode_type(primary, msg_types), "encodeType " + name)

        signed = Account.sign_message(signable, key)
        addr = address_of(key)
        check(Account.recover_message(signable, signature=signed.signature) == addr, "712 recover")
        vectors.append(
            {
                "name": name,
                "typedData": td,
                "encodeType": my_encode_type(primary, msg_types),
                "domainSeparator": hx(ea_ds),
                "structHash": hx(ea_sh),
                "digest": hx(ea_digest),
                "privateKey": hx(key),
                "signature": hx(signed.signature),
                "address": addr,
            }
        )

    mail = vectors[0]
    check(mail["domainSeparator"] == "0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f", "mail ds")
    check(mail["structHash"] == "0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e", "mail sh")
    check(mail["digest"] == "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2", "mail digest")
    check(
        mail["signature"]
        == "0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d"
        "07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b915621c",
        "mail signature",
    )
    return {"vectors": vectors}


# --------------------------------------------------------------------------- main


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    files = [
        ("keccak.json", gen_keccak),
        ("keys.json", gen_keys),
        ("rlp.json", gen_rlp),
        ("abi.json", gen_abi),
        ("transactions.json", gen_transactions),
        ("signatures.json", gen_signatures),
        ("eip191.json", gen_eip191),
        ("eip712.json", gen_eip712),
    ]
    total = 0
    for name, fn in files:
        size = write(name, fn())
        total += size
        print(f"{name:20s} {size:8d} bytes")
    print(f"{'total':20s} {total:8d} bytes")
    if total >= 1_000_000:
        print("fixtures exceed 1 MB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
