import EthereumCore
import Foundation
import Testing

@Suite("EIP-191 and EIP-712")
struct SigningTests {
    @Test("personal_sign digests and signatures match eth-account")
    func eip191() throws {
        for vector in try Fixture.section("eip191", "vectors") {
            let key = try PrivateKey(hex: try vector.string("privateKey"))
            let message = try vector.bytes("message")
            #expect(Hex.encode(EIP191.personalMessageHash(message)) == (try vector.string("digest")))
            let signature = try EIP191.sign(message, with: key)
            #expect(signature.hex == (try vector.string("signature")))
            #expect(try EIP191.recover(message, signature: signature) == (try vector.address("address")))
        }
    }

    @Test("typed-data hashes and signatures match eth-account")
    func eip712() throws {
        for vector in try Fixture.section("eip712", "vectors") {
            let name = try vector.string("name")
            let json = try JSONEncoder().encode(try #require(vector["typedData"]))
            let typedData = try JSONDecoder().decode(TypedData.self, from: json)
            #expect(try TypedData.encodeType(typedData.primaryType, types: typedData.types) == (try vector.string("encodeType")), "\(name)")
            #expect(try typedData.domainSeparator().hex == (try vector.string("domainSeparator")), "\(name)")
            #expect(try typedData.structHash().hex == (try vector.string("structHash")), "\(name)")
            #expect(try typedData.signingHash().hex == (try vector.string("digest")), "\(name)")
            let key = try PrivateKey(hex: try vector.string("privateKey"))
            let signature = try typedData.sign(with: key)
            #expect(signature.hex == (try vector.string("signature")), "\(name)")
            #expect(try typedData.recoverSigner(signature) == (try vector.address("address")))
        }
    }

    @Test("typed data that breaks its types is refused")
    func eip712Errors() throws {
        let json = try JSONEncoder().encode(try #require(try Fixture.section("eip712", "vectors")[0]["typedData"]))
        let typedData = try JSONDecoder().decode(TypedData.self, from: json)
        var missingField = typedData
        if case .object(var members) = missingField.message {
            members.removeValue(forKey: members.keys.sorted()[0])
            missingField.message = .object(members)
        }
        #expect(throws: TypedDataError.self) { try missingField.signingHash() }
        var unknownPrimary = typedData
        unknownPrimary.primaryType = "Nope"
        #expect(throws: TypedDataError.self) { try unknownPrimary.signingHash() }
    }
}
