import Crypto
import EthereumCore
import Foundation
import PKCS11

/// The custodian's master key: it wraps every record's data key and derives the key of the
/// encrypted addresses. It never leaves the gateway and is never stored in PostgreSQL; in a
/// hardware security module (PKCS#11), it never leaves the module either.
///
/// Its id is derived from the key itself, so a record's `key_id` can never name the wrong key,
/// and ids need no bookkeeping: HMAC-SHA256 for a key in a file, AES-CMAC (computed in the
/// module) for a key in a token. The address key is derived the same way, once, at start.
public struct MasterKey: Sendable {
    /// 8 bytes that name the key; stored beside every wrapped data key.
    public let id: [UInt8]
    private let sealing: Sealing
    /// The key of encrypted addresses: HKDF-SHA256 with its own label.
    let addressKey: SymmetricKey

    private static let idLabel = Array("mdrs/master-key-id/v1".utf8)

    /// Where the key that wraps data keys lives.
    private enum Sealing: Sendable {
        case memory(SymmetricKey)
        case token(PKCS11SecretKey)
    }

    /// The address key alone, for ``AddressKey/write(toFile:)``: once every data key is
    /// re-wrapped under a new master key, this lets the old master key be destroyed while the
    /// encrypted addresses sealed under it (anchored on-chain for good) still open.
    public var addressOnly: AddressKey { AddressKey(id: id, key: addressKey) }

    /// The token the key is in; nil for a key from a file.
    public var token: PKCS11Token? {
        if case .token(let key) = sealing { return key.token }
        return nil
    }

    /// Where the key is kept, for messages: a token's key is named by its URI.
    public var location: String {
        switch sealing {
        case .memory: "file"
        case .token(let key): PKCS11URI(token: key.token.label, object: key.label).description
        }
    }

    /// A master key from its 32 bytes.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else {
            throw GatewayError(.invalidMasterKey, "a master key has 32 bytes, got \(bytes.count)")
        }
        let key = SymmetricKey(data: bytes)
        self.sealing = .memory(key)
        self.id = Array(HMAC<SHA256>.authenticationCode(for: Self.idLabel, using: key).prefix(8))
        self.addressKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key, salt: Array("mdrs".utf8), info: Array("mdrs/encrypted-address/v1".utf8), outputByteCount: 32)
    }

    /// The AES-256 key `key` in a token. Its id and address key come from AES-CMAC of fixed
    /// labels, computed in the token; the address key is then HKDF over them, in memory (every
    /// fetch opens an address, and the key alone cannot unwrap a data key).
    public init(token key: PKCS11SecretKey) throws {
        do {
            self.sealing = .token(key)
            self.id = Array(try key.mac(Self.idLabel).prefix(8))
            let material = try key.mac(Array("mdrs/encrypted-address/v1/0".utf8)) + key.mac(Array("mdrs/encrypted-address/v1/1".utf8))
            self.addressKey = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: material), salt: Array("mdrs".utf8),
                info: Array("mdrs/encrypted-address/v1".utf8), outputByteCount: 32)
        } catch let error as PKCS11Error {
            throw GatewayError(.keyStoreFailure, "master key \(key.label) on token '\(key.token.label)': \(error)")
        }
    }

    /// Seals a random data key and opens it again. For a key in a token: a module that took
    /// another IV than it wrote back, or a policy that lets the key seal but not open, would
    /// lose every record stored from then on; this finds out before serving.
    public func checkRoundTrip() throws {
        let probe = SymmetricKey(size: .bits256)
        let probeRecord = Bytes32.random()
        let opened = try unwrap(try wrap(probe, recordId: probeRecord), recordId: probeRecord)
        guard opened == probe else {
            throw GatewayError(.keyStoreFailure, "master key \(location) does not open what it sealed")
        }
    }

    /// The id as 16 hex digits, as stored in `records.key_id`.
    public var idHex: String { Hex.encode(id, prefix: false) }

    /// Loads a key file: 64 hex digits (what `mdrs keys new-master` writes) or 32 raw bytes.
    /// Refused unless only its owner can read it.
    public init(contentsOfFile path: String) throws {
        let contents = try SecretFile.read(path)
        if contents.count == 32 {
            try self.init(bytes: contents)
            return
        }
        let text = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = try? Hex.decode(text, count: 32) else {
            throw GatewayError(.invalidMasterKey, "master key file \(path) must hold 64 hex digits")
        }
        try self.init(bytes: bytes)
    }

    /// Writes a fresh random key to a new file with mode 0600 and returns it.
    public static func generate(writingTo path: String) throws -> MasterKey {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        try SecretFile.create(path, contents: Array((Hex.encode(bytes, prefix: false) + "\n").utf8))
        return try MasterKey(bytes: bytes)
    }

    /// Wraps a record's data key (AES-256-GCM, `nonce ‖ ciphertext ‖ tag`, in the token for a
    /// token's key; the record id and key id are the additional data, so a wrapped key copied to
    /// another record does not open).
    package func wrap(_ dataKey: SymmetricKey, recordId: Bytes32) throws -> [UInt8] {
        let plaintext = dataKey.withUnsafeBytes { Array($0) }
        switch sealing {
        case .memory(let key):
            let box = try AES.GCM.seal(plaintext, using: key, authenticating: wrapContext(recordId))
            guard let combined = box.combined else {
                throw GatewayError(.invalidMasterKey, "AES-GCM produced no combined form")
            }
            return Array(combined)
        case .token(let key):
            do {
                let (sealed, nonce) = try key.seal(plaintext, nonce: Array(AES.GCM.Nonce()), authenticating: wrapContext(recordId))
                guard nonce.count == 12 else {
                    throw PKCS11Error(.operationFailed, "the token used a \(nonce.count)-byte GCM nonce, not 12")
                }
                return nonce + sealed
            } catch {
                throw GatewayError(.keyStoreFailure, "wrapping a data key with \(location): \(error)")
            }
        }
    }

    /// Unwraps a data key wrapped by ``wrap(_:recordId:)``.
    package func unwrap(_ wrapped: [UInt8], recordId: Bytes32) throws -> SymmetricKey {
        let doesNotOpen = GatewayError(
            .integrityFailure, "the data key of record \(recordId.hex) does not open under master key \(idHex)")
        switch sealing {
        case .memory(let key):
            do {
                let box = try AES.GCM.SealedBox(combined: wrapped)
                return SymmetricKey(data: try AES.GCM.open(box, using: key, authenticating: wrapContext(recordId)))
            } catch {
                throw doesNotOpen
            }
        case .token(let key):
            guard wrapped.count >= 12 else { throw doesNotOpen }
            do {
                return SymmetricKey(
                    data: try key.open(Array(wrapped[12...]), nonce: Array(wrapped[..<12]), authenticating: wrapContext(recordId)))
            } catch let error as PKCS11Error where error.code == .dataRejected {
                throw doesNotOpen
            } catch {
                throw GatewayError(.keyStoreFailure, "unwrapping the data key of record \(recordId.hex) with \(location): \(error)")
            }
        }
    }

    private func wrapContext(_ recordId: Bytes32) -> [UInt8] {
        Array("mdrs/data-key/v1".utf8) + recordId.bytes + id
    }
}

extension MasterKey: CustomStringConvertible {
    public var description: String { "MasterKey(id: \(idHex), secret redacted)" }
}

/// The master keys a gateway holds: the current one wraps new data keys; previous ones still
/// open what they wrapped until `mdrs keys rotate` has re-wrapped it.
public struct MasterKeyring: Sendable {
    public let current: MasterKey
    public let previous: [MasterKey]

    /// Address keys of retired master keys: they open encrypted addresses, nothing else.
    public let addressKeys: [AddressKey]

    public init(current: MasterKey, previous: [MasterKey] = [], addressKeys: [AddressKey] = []) {
        self.current = current
        self.previous = previous.filter { $0.id != current.id }
        self.addressKeys = addressKeys
    }

    /// The address key for the master key id `id`: of a configured master key, or a retired one.
    func addressKey(id: [UInt8]) throws -> SymmetricKey {
        if let master = try? key(id: id) { return master.addressKey }
        if let retired = addressKeys.first(where: { $0.id == id }) { return retired.key }
        throw GatewayError(.unknownMasterKey, "no address key for master key \(Hex.encode(id, prefix: false))")
    }

    /// The key with id `id`.
    public func key(id: [UInt8]) throws -> MasterKey {
        if current.id == id { return current }
        if let key = previous.first(where: { $0.id == id }) { return key }
        throw GatewayError(
            .unknownMasterKey,
            "master key \(Hex.encode(id, prefix: false)) is not configured (current is \(current.idHex))")
    }

    /// The key with the hex id `idHex`.
    public func key(idHex: String) throws -> MasterKey {
        guard let id = try? Hex.decode(idHex, count: 8) else {
            throw GatewayError(.unknownMasterKey, "malformed master key id \(idHex)")
        }
        return try key(id: id)
    }
}

/// The encrypted-address key of a (retired) master key, with that master key's id.
public struct AddressKey: Sendable {
    public let id: [UInt8]
    let key: SymmetricKey

    init(id: [UInt8], key: SymmetricKey) {
        self.id = id
        self.key = key
    }

    /// Reads a file written by ``write(toFile:)``: `<16 hex digits of the id> <64 hex digits>`.
    public init(contentsOfFile path: String) throws {
        let parts = try SecretFile.readText(path).split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, let id = try? Hex.decode(parts[0], count: 8), let key = try? Hex.decode(parts[1], count: 32) else {
            throw GatewayError(.invalidMasterKey, "\(path) is not an address key file (id and key in hex)")
        }
        self.init(id: id, key: SymmetricKey(data: key))
    }

    /// Writes the key to a new file with mode 0600.
    public func write(toFile path: String) throws {
        let hex = key.withUnsafeBytes { Hex.encode(Array($0), prefix: false) }
        try SecretFile.create(path, contents: Array("\(Hex.encode(id, prefix: false)) \(hex)\n".utf8))
    }

    public var idHex: String { Hex.encode(id, prefix: false) }
}
