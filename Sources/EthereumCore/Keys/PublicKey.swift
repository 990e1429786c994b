import CSecp256k1

/// A secp256k1 public key.
public struct PublicKey: Hashable, Sendable {
    /// The uncompressed point `x ‖ y` (64 bytes, without the `0x04` prefix).
    public let uncompressed: [UInt8]

    /// Parses 64 bytes (`x ‖ y`), 65 bytes (`04 ‖ x ‖ y`) or 33 bytes (compressed).
    public init(bytes: [UInt8]) throws {
        var input = bytes
        if input.count == 64 { input = [0x04] + input }
        var key = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_parse(Secp256k1.context, &key, input, input.count) == 1 else {
            throw KeyError(.invalidPublicKey, "not a point on secp256k1")
        }
        self.init(key)
    }

    init(_ key: secp256k1_pubkey) {
        var key = key
        var output = [UInt8](repeating: 0, count: 65)
        var length = 65
        _ = secp256k1_ec_pubkey_serialize(Secp256k1.context, &output, &length, &key, mdrs_secp256k1_ec_uncompressed())
        self.uncompressed = Array(output[1...])
    }

    /// The 33-byte compressed form.
    public var compressed: [UInt8] {
        var key = secp256k1_pubkey()
        let input = [0x04] + uncompressed
        _ = secp256k1_ec_pubkey_parse(Secp256k1.context, &key, input, input.count)
        var output = [UInt8](repeating: 0, count: 33)
        var length = 33
        _ = secp256k1_ec_pubkey_serialize(Secp256k1.context, &output, &length, &key, mdrs_secp256k1_ec_compressed())
        return output
    }

    /// The account address: the last 20 bytes of the Keccak-256 of `x ‖ y`.
    public var address: Address {
        Address(unchecked: Array(Keccak256.hash(uncompressed).suffix(20)))
    }

    /// Recovers the key that produced `signature` over the 32-byte `digest`. High-s signatures
    /// are refused (EIP-2), since accepting both forms would let anyone re-sign a message.
    public init(recoveringFrom signature: Signature, digest: [UInt8]) throws {
        guard digest.count == 32 else {
            throw KeyError(.invalidSignature, "digest must be 32 bytes, got \(digest.count)")
        }
        guard signature.isLowS else {
            throw KeyError(.invalidSignature, "signature is not in low-s form (EIP-2)")
        }
        var recoverable = secp256k1_ecdsa_recoverable_signature()
        let compact = signature.r + signature.s
        guard
            secp256k1_ecdsa_recoverable_signature_parse_compact(
                Secp256k1.context, &recoverable, compact, Int32(signature.recoveryId)) == 1
        else {
            throw KeyError(.invalidSignature, "signature does not parse")
        }
        var key = secp256k1_pubkey()
        guard secp256k1_ecdsa_recover(Secp256k1.context, &key, &recoverable, digest) == 1 else {
            throw KeyError(.recoveryFailed, "no public key recovers from this signature")
        }
        self.init(key)
    }
}

extension Address {
    /// The address that signed `digest`, recovered from `signature`.
    public init(recoveringFrom signature: Signature, digest: [UInt8]) throws {
        self = try PublicKey(recoveringFrom: signature, digest: digest).address
    }
}
