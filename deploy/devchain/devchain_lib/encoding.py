"""JSON-RPC encodings: quantities and data out, checked parameters in."""

from __future__ import annotations

from .errors import invalid_params


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


def param(params, i, default=None, required=False, name=None):
    if i < len(params) and params[i] is not None:
        return params[i]
    if required:
        raise invalid_params(f"missing value for required argument {name or i}")
    return default
