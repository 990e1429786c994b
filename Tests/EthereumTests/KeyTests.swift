import BigInt
import EthereumCore
import Foundation
import Testing

@Suite("Keys, addresses and signatures")
struct KeyTests {
    @Test("public keys and addresses match eth-keys")
    func keys() throws {
        for vector in try Fixture.section("keys", "vectors") {
            let key = try PrivateKey(hex: try vector.string("privateKey"))
            #expect(Hex.encode(key.publicKey.uncompressed) == (try vector.string("publicKey")))
            #expect(Hex.encode(key.publicKey.compressed) == (try vector.string("compressedPublicKey")))
            #expect(key.address.checksummed == (try vector.string("address")))
            let parsed = try PublicKey(bytes: try vector.bytes("compressedPublicKey"))
            #expect(parsed == key.publicKey)
        }
    }

    @Test("EIP-55 checksums match eth-utils; a wrong checksum is refused")
    func checksums() throws {
        for vector in try Fixture.section("keys", "checksum") {
            let address = try Address(try vector.string("lower"))
            let checksummed = try vector.string("checksummed")
            #expect(address.checksummed == checksummed)
            #expect(try Address(checksummed) == address)
            let letters = checksummed.dropFirst(2).filter(\.isLetter)
            if letters.contains(where: \.isUppercase) && letters.contains(where: \.isLowercase) {
                let flipped = "0x" + String(checksummed.dropFirst(2).map { c -> Character in
                    c.isLetter ? Character(c.isUppercase ? c.lowercased() : c.uppercased()) : c
                })
                #expect(throws: HexError.self) { try Address(flipped) }
            }
        }
    }

    @Test("signatures over digests match eth-account byte for byte (RFC 6979, low-s)")
    func signatures() throws {
        for vector in try Fixture.section("signatures", "vectors") {
            let key = try PrivateKey(hex: try vector.string("privateKey"))
            let digest = try vector.bytes("digest")
            let signature = try key.sign(digest: digest)
            #expect(signature.r == (try vector.big("r")).word)
            #expect(signature.s == (try vector.big("s")).word)
            #expect(signature.recoveryId == UInt8(try vector.uint64("recoveryId")))
            #expect(signature.hex == (try vector.string("signature")))
            #expect(try Address(recoveringFrom: signature, digest: digest) == key.address)
        }
    }

    @Test("high-s signatures are refused for recovery and normalise to the original")
    func highS() throws {
        for vector in try Fixture.section("signatures", "highS") {
            let high = try Signature(hex: try vector.string("signature"))
            #expect(!high.isLowS)
            #expect(throws: KeyError.self) {
                try Address(recoveringFrom: high, digest: try vector.bytes("digest"))
            }
            let original = try #require(vector["original"])
            #expect(high.normalized().hex == (try original.string("signature")))
            #expect(try Address(recoveringFrom: high.normalized(), digest: try vector.bytes("digest")) == (try vector.address("address")))
        }
    }

    @Test("malformed signatures and keys are refused")
    func malformed() throws {
        let zero = [UInt8](repeating: 0, count: 32)
        let one = [UInt8](repeating: 0, count: 31) + [1]
        let order = try Hex.decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
        #expect(throws: KeyError.self) { try Signature(r: zero, s: one, recoveryId: 0) }
        #expect(throws: KeyError.self) { try Signature(r: one, s: order, recoveryId: 0) }
        #expect(throws: KeyError.self) { try Signature(r: one, s: one, recoveryId: 2) }
        #expect(throws: KeyError.self) { try Signature(bytes: [UInt8](repeating: 1, count: 64)) }
        #expect(throws: KeyError.self) { try Signature(bytes: one + one + [29]) }
        #expect(throws: KeyError.self) { try PrivateKey(bytes: zero) }
        #expect(throws: KeyError.self) { try PrivateKey(bytes: order) }
        #expect(throws: KeyError.self) { try PrivateKey(hex: "0x1234") }
        #expect(throws: KeyError.self) { try PublicKey(bytes: [UInt8](repeating: 7, count: 64)) }
    }

    @Test("a private key never prints its secret")
    func redaction() throws {
        let key = PrivateKey.random()
        let secret = key.secretHex.dropFirst(2)
        for text in [key.description, String(describing: key), String(reflecting: key), "\(key)"] {
            #expect(!text.contains(secret))
            #expect(text.contains(key.address.checksummed))
        }
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains(secret))
    }

    @Test("a key file is written with mode 0600, read back, and never overwritten")
    func keyFile() throws {
        let path = NSTemporaryDirectory() + "mdrs-key-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let key = PrivateKey.random()
        try key.write(toFile: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try PrivateKey(contentsOfFile: path).address == key.address)
        #expect(throws: KeyError.self) { try PrivateKey.random().write(toFile: path) }
    }

    @Test("sign then recover gives the signer back, for random keys and digests")
    func signRecoverProperty() throws {
        for _ in 0..<200 {
            let key = PrivateKey.random()
            let digest = Bytes32.random().bytes
            let signature = try key.sign(digest: digest)
            #expect(signature.isLowS)
            #expect(try Address(recoveringFrom: signature, digest: digest) == key.address)
            let other = Bytes32.random().bytes
            #expect((try? Address(recoveringFrom: signature, digest: other)) != key.address)
        }
    }
}
