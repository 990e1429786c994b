import EthereumCore
import Foundation
import MDRSCore
import Testing

@Suite("Encrypted addresses")
struct AddressSealerTests {
    let keyring: MasterKeyring
    let custodian = PrivateKey.random().address

    init() throws {
        keyring = MasterKeyring(current: try MasterKey(bytes: Bytes32.random().bytes))
    }

    @Test("seal and open round-trip; the text is URL-safe")
    func roundTrip() throws {
        let sealer = AddressSealer(keyring: keyring, custodian: custodian)
        let recordId = Bytes32.random()
        let text = try sealer.seal(recordId: recordId)
        #expect(text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(try sealer.open(text) == RecordAddress(recordId: recordId, custodian: custodian))
        #expect(try sealer.seal(recordId: recordId) != text, "each sealing uses a fresh nonce")
    }

    @Test("only the canonical text opens: no padding, no stray bits in the last character")
    func canonicalText() throws {
        let sealer = AddressSealer(keyring: keyring, custodian: custodian)
        let recordId = Bytes32.random()
        let text = try sealer.seal(recordId: recordId)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        // 89 bytes are 712 bits: the 119th character carries 4 of them and 2 that must be zero.
        #expect(text.count == 119)
        let last = try #require(alphabet.firstIndex(of: text.last!))
        for spare in 1...3 {
            let variant = String(text.dropLast()) + String(alphabet[last ^ spare])
            #expect(Base64URL.decode(variant) == nil, "spare bits \(spare) accepted")
            #expect(throws: GatewayError.self) { try sealer.open(variant) }
        }
        #expect(throws: GatewayError.self) { try sealer.open(text + "=") }
        #expect(throws: GatewayError.self) { try sealer.open(text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "x") }
        #expect(try sealer.open(text).recordId == recordId)
        // Every byte string round-trips through its one canonical text.
        for length in 0..<40 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }

    @Test("every single-byte change is detected")
    func tampering() throws {
        let sealer = AddressSealer(keyring: keyring, custodian: custodian)
        let bytes = try sealer.sealBytes(recordId: Bytes32.random())
        for index in bytes.indices {
            var tampered = bytes
            tampered[index] ^= 0x40
            let error = #expect(throws: GatewayError.self) { try sealer.open(bytes: tampered) }
            let expected: Set<GatewayError.Code> = index == 0 ? [.addressUnknownVersion] : [.addressTampered]
            #expect(error.map { expected.contains($0.code) } == true, "byte \(index): \(String(describing: error))")
        }
        for cut in [0, 1, 50, bytes.count - 1] {
            #expect(throws: GatewayError.self) { try sealer.open(bytes: Array(bytes.prefix(cut))) }
        }
        #expect(throws: GatewayError.self) { try sealer.open(bytes: bytes + [0]) }
        #expect(throws: GatewayError.self) { try sealer.open("not base64url!") }
    }

    @Test("another custodian's address, another master key and an unknown version are refused")
    func refusals() throws {
        let mine = AddressSealer(keyring: keyring, custodian: custodian)
        let theirs = AddressSealer(keyring: keyring, custodian: PrivateKey.random().address)
        let error = #expect(throws: GatewayError.self) { try mine.open(try theirs.seal(recordId: Bytes32.random())) }
        #expect(error?.code == .addressWrongCustodian)

        let stranger = AddressSealer(keyring: MasterKeyring(current: try MasterKey(bytes: Bytes32.random().bytes)), custodian: custodian)
        let forged = #expect(throws: GatewayError.self) { try mine.open(try stranger.seal(recordId: Bytes32.random())) }
        #expect(forged?.code == .addressTampered)

        var future = try mine.sealBytes(recordId: Bytes32.random())
        future[0] = 2
        let version = #expect(throws: GatewayError.self) { try mine.open(bytes: future) }
        #expect(version?.code == .addressUnknownVersion)
    }

    @Test("addresses sealed before a master-key rotation open while the old key is kept")
    func rotation() throws {
        let old = keyring.current
        let new = try MasterKey(bytes: Bytes32.random().bytes)
        let recordId = Bytes32.random()
        let text = try AddressSealer(keyring: keyring, custodian: custodian).seal(recordId: recordId)
        let rotated = AddressSealer(keyring: MasterKeyring(current: new, previous: [old]), custodian: custodian)
        #expect(try rotated.open(text).recordId == recordId)
        let forgotten = AddressSealer(keyring: MasterKeyring(current: new), custodian: custodian)
        #expect(throws: GatewayError.self) { try forgotten.open(text) }

        // The old master key is destroyed; only its exported address key is kept.
        let path = NSTemporaryDirectory() + "mdrs-address-key-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try old.addressOnly.write(toFile: path)
        let retiredKeyring = MasterKeyring(current: new, addressKeys: [try AddressKey(contentsOfFile: path)])
        #expect(try AddressSealer(keyring: retiredKeyring, custodian: custodian).open(text).recordId == recordId)
        #expect(throws: GatewayError.self) { try retiredKeyring.key(id: old.id) }
    }
}

@Suite("Master key files")
struct MasterKeyFileTests {
    static func temporaryPath() -> String {
        NSTemporaryDirectory() + "mdrs-master-\(UUID().uuidString)"
    }

    @Test("a new master key file has mode 0600, reads back with the same id, and is never overwritten")
    func newFile() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let key = try MasterKey.generate(writingTo: path)
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try MasterKey(contentsOfFile: path).id == key.id)
        #expect(key.idHex.count == 16)
        #expect(throws: GatewayError.self) { try MasterKey.generate(writingTo: path) }
        #expect(!String(describing: key).contains(try String(contentsOfFile: path, encoding: .utf8).prefix(16)))
    }

    @Test("a key file readable by others is refused")
    func tooOpen() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try MasterKey.generate(writingTo: path)
        for mode in [0o644, 0o640, 0o604, 0o660] {
            chmod(path, mode_t(mode))
            let error = #expect(throws: GatewayError.self) { try MasterKey(contentsOfFile: path) }
            #expect(error?.code == .secretFileTooOpen)
        }
    }

    @Test("malformed key files are refused")
    func malformed() throws {
        for contents in ["", "abc", String(repeating: "zz", count: 32), String(repeating: "ab", count: 31)] {
            let path = Self.temporaryPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            try SecretFile.create(path, contents: Array(contents.utf8))
            #expect(throws: GatewayError.self) { try MasterKey(contentsOfFile: path) }
        }
    }
}
