import CSecp256k1
import Foundation

/// A secp256k1 private key. Its `description` never shows the secret.
public struct PrivateKey: Sendable {
    private let secret: [UInt8]

    /// The public key, derived once.
    public let publicKey: PublicKey

    /// Wraps 32 bytes that must be a valid secret (in 1..<n).
    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32,
            secp256k1_ec_seckey_verify(Secp256k1.context, bytes) == 1
        else {
            throw KeyError(.invalidPrivateKey, "a private key is 32 bytes in 1..<n")
        }
        var key = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_create(Secp256k1.context, &key, bytes) == 1 else {
            throw KeyError(.invalidPrivateKey, "public key derivation failed")
        }
        self.secret = bytes
        self.publicKey = PublicKey(key)
    }

    /// Parses 64 hex digits, with or without `0x`.
    public init(hex: String) throws {
        let bytes: [UInt8]
        do {
            bytes = try Hex.decode(hex.trimmingCharacters(in: .whitespacesAndNewlines), count: 32)
        } catch {
            throw KeyError(.invalidPrivateKey, "a private key is 64 hex digits")
        }
        try self.init(bytes: bytes)
    }

    /// Reads a key file: 64 hex digits, optionally `0x`-prefixed, surrounding whitespace allowed.
    public init(contentsOfFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeyError(.fileError, "cannot read key file \(path)")
        }
        try self.init(hex: String(decoding: data, as: UTF8.self))
    }

    /// A fresh key from the system's cryptographically secure generator.
    public static func random() -> PrivateKey {
        while true {
            if let key = try? PrivateKey(bytes: Bytes32.random().bytes) { return key }
        }
    }

    /// The account address.
    public var address: Address { publicKey.address }

    /// The secret as `0x`-hex. Handle with care: this is the only way the secret leaves.
    public var secretHex: String { Hex.encode(secret) }

    /// Signs a 32-byte digest (RFC 6979 nonce, low-s).
    public func sign(digest: [UInt8]) throws -> Signature {
        guard digest.count == 32 else {
            throw KeyError(.signingFailed, "digest must be 32 bytes, got \(digest.count)")
        }
        var signature = secp256k1_ecdsa_recoverable_signature()
        guard
            secp256k1_ecdsa_sign_recoverable(Secp256k1.context, &signature, digest, secret, nil, nil) == 1
        else {
            throw KeyError(.signingFailed, "libsecp256k1 refused to sign")
        }
        var compact = [UInt8](repeating: 0, count: 64)
        var recoveryId: Int32 = 0
        _ = secp256k1_ecdsa_recoverable_signature_serialize_compact(
            Secp256k1.context, &compact, &recoveryId, &signature)
        return try Signature(r: Array(compact[0..<32]), s: Array(compact[32..<64]), recoveryId: UInt8(recoveryId))
    }

    /// Writes the key as hex to a new file readable only by its owner (mode 0600). Refuses to
    /// overwrite an existing file.
    public func write(toFile path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw KeyError(.fileError, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let text = Array((secretHex + "\n").utf8)
        let written = text.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == text.count else {
            throw KeyError(.fileError, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}

extension PrivateKey: CustomStringConvertible {
    public var description: String { "PrivateKey(\(address), secret redacted)" }
}

extension PrivateKey: CustomDebugStringConvertible {
    public var debugDescription: String { description }
}

extension PrivateKey: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["address": address]) }
}
