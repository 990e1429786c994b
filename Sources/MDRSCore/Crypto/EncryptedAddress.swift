import Crypto
import EthereumCore
import Foundation

/// What an encrypted address names: a record and the custodian that holds it.
public struct RecordAddress: Equatable, Hashable, Sendable {
    public let recordId: Bytes32
    public let custodian: Address

    public init(recordId: Bytes32, custodian: Address) {
        self.recordId = recordId
        self.custodian = custodian
    }
}

/// Seals a ``RecordAddress`` into an opaque, URL-safe string only this custodian can open, and
/// opens it again.
///
/// Layout (version 1), then base64url without padding:
/// `0x01 ‖ master key id (8) ‖ nonce (12) ‖ AES-256-GCM(record id ‖ custodian) (52) ‖ tag (16)`.
/// The key is HKDF-derived from the master key under its own label; the version byte and key id
/// are authenticated as additional data. The key id lets addresses sealed before a master-key
/// rotation still open while the previous key stays in the keyring. The record id and custodian
/// are public on-chain anyway: what the sealing buys is that only this gateway can mint an
/// address, and that no one can alter one unseen.
public struct AddressSealer: Sendable {
    public static let version: UInt8 = 1
    static let sealedSize = 1 + 8 + 12 + 52 + 16

    public let keyring: MasterKeyring
    /// This gateway's custodian address: the only custodian it opens addresses for.
    public let custodian: Address

    public init(keyring: MasterKeyring, custodian: Address) {
        self.keyring = keyring
        self.custodian = custodian
    }

    /// The raw sealed bytes (as anchored on-chain) for `recordId` at this custodian.
    public func sealBytes(recordId: Bytes32) throws -> [UInt8] {
        let master = keyring.current
        let header = [Self.version] + master.id
        let box = try AES.GCM.seal(recordId.bytes + custodian.bytes, using: master.addressKey, authenticating: header)
        return header + Array(box.nonce) + Array(box.ciphertext) + Array(box.tag)
    }

    /// The URL-safe text staff present.
    public func seal(recordId: Bytes32) throws -> String {
        Base64URL.encode(try sealBytes(recordId: recordId))
    }

    /// Opens the text form; fails on malformed input, an unknown version or key, any
    /// tampering, or an address of another custodian.
    public func open(_ text: String) throws -> RecordAddress {
        guard let bytes = Base64URL.decode(text) else {
            throw GatewayError(.addressMalformed, "the encrypted address is not base64url")
        }
        return try open(bytes: bytes)
    }

    /// Opens the raw form.
    public func open(bytes: [UInt8]) throws -> RecordAddress {
        guard let version = bytes.first else {
            throw GatewayError(.addressMalformed, "the encrypted address is empty")
        }
        guard version == Self.version else {
            throw GatewayError(.addressUnknownVersion, "encrypted address version \(version) is not supported")
        }
        guard bytes.count == Self.sealedSize else {
            throw GatewayError(.addressMalformed, "the encrypted address has \(bytes.count) bytes, expected \(Self.sealedSize)")
        }
        let header = Array(bytes[0..<9])
        let addressKey: SymmetricKey
        do {
            addressKey = try keyring.addressKey(id: Array(bytes[1..<9]))
        } catch {
            // An unknown key id is indistinguishable from tampering for the caller.
            throw GatewayError(.addressTampered, "the encrypted address was not sealed by this custodian's keys")
        }
        let plaintext: Data
        do {
            let box = try AES.GCM.SealedBox(
                nonce: try AES.GCM.Nonce(data: bytes[9..<21]), ciphertext: bytes[21..<73], tag: bytes[73..<89])
            plaintext = try AES.GCM.open(box, using: addressKey, authenticating: header)
        } catch {
            throw GatewayError(.addressTampered, "the encrypted address fails authentication")
        }
        let recordId = try Bytes32(bytes: Array(plaintext.prefix(32)))
        let named = try Address(bytes: Array(plaintext.suffix(20)))
        guard named == custodian else {
            throw GatewayError(.addressWrongCustodian, "the encrypted address names custodian \(named), not this one")
        }
        return RecordAddress(recordId: recordId, custodian: named)
    }
}

/// base64url without padding (RFC 4648 §5): the text form of encrypted addresses.
public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes the canonical form only: the alphabet of §5, no padding, and zero bits where
    /// the last character has bits to spare (§3.5). Else several texts would open to the same
    /// bytes, and the text a doctor signs would not be the one thing that names the record.
    public static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D || byte == 0x5F
        }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let bytes = Data(base64Encoded: base64).map({ [UInt8]($0) }), encode(bytes) == text else { return nil }
        return bytes
    }
}
