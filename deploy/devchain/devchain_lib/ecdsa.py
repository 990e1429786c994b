"""Fast ECDSA for eth-keys: the system libsecp256k1 through ctypes.

eth-keys' pure-Python backend needs ~10 ms to recover a transaction's sender, which would
dominate every transaction. The machine has Debian's libsecp256k1 (the Swift gateway links
it), so use it through ctypes when it is there; otherwise fall back silently to the
pure-Python backend. Importing this module installs the backend; it must be imported before
py-evm is (the package's __init__ does that first).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os


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

# For the startup banner: which ECDSA implementation is in use.
USING_LIBSECP256K1 = _SECP is not None
