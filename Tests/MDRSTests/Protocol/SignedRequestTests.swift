import BigInt
import EthereumCore
import Foundation
import MDRSProtocol
import Testing

/// The gateway's EIP-712 messages hash the way a wallet (eth-account) hashes them, so any
/// standard client can sign requests.
@Suite("Signed requests")
struct SignedRequestTests {
    static func referenceDigest(_ typedData: TypedData) throws -> String {
        let python = try TestEnvironment.require("MDRS_TEST_PYTHON")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", """
            import json, sys
            from eth_account.messages import encode_typed_data, _hash_eip191_message
            print("0x" + _hash_eip191_message(encode_typed_data(full_message=json.load(sys.stdin))).hex())
            """]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(try JSONEncoder().encode(typedData))
        try input.fileHandleForWriting.close()
        let digest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return digest.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("fetch (headers and link), store, audit and patient requests hash like eth-account's encode_typed_data")
    func matchesReference() throws {
        let custodian = PrivateKey.random().address
        let contract = PrivateKey.random().address
        let chainId = BigUInt(131_277_322_940_537)
        let messages = [
            SignedRequest.fetch(
                token: Bytes32.random(), encryptedAddress: "AZx7OimLOdoOUsr5oYVJPofd6zhTHGXpGuwEpRPOK0gk", purpose: .emergencyTreatment,
                nonce: Bytes32.random(), issuedAt: 1_795_000_000, domain: SigningDomain(chainId: chainId, contract: contract, custodian: custodian)),
            SignedRequest.fetchLink(
                token: Bytes32.random(), encryptedAddress: "AZx7OimLOdoOUsr5oYVJPofd6zhTHGXpGuwEpRPOK0gk", purpose: .treatment,
                nonce: Bytes32.random(), issuedAt: 1_795_000_000, domain: SigningDomain(chainId: chainId, contract: contract, custodian: custodian)),
            SignedRequest.store(
                patient: PrivateKey.random().address, contentType: "application/dicom", contentSHA256: Bytes32.random(),
                nonce: Bytes32.random(), issuedAt: 1_795_000_001, domain: SigningDomain(chainId: chainId, contract: contract, custodian: custodian)),
            SignedRequest.audit(
                query: "/v1/audit/accesses?record=0xab&from=1", nonce: Bytes32.random(), issuedAt: 1_795_000_002,
                domain: SigningDomain(chainId: chainId, contract: contract, custodian: custodian)),
            SignedRequest.patient(
                PrivateKey.random().address, query: "/v1/patients/0xab/accesses", nonce: Bytes32.random(), issuedAt: 1_795_000_003,
                domain: SigningDomain(chainId: chainId, contract: contract, custodian: custodian)),
        ]
        for message in messages {
            #expect(try message.signingHash().hex == (try Self.referenceDigest(message)), "\(message.primaryType)")
        }
        #expect(try TypedData.encodeType("FetchRequest", types: messages[0].types)
            == "FetchRequest(bytes32 token,string encryptedAddress,uint8 purpose,bytes32 nonce,uint64 issuedAt,address custodian)")
        #expect(try TypedData.encodeType("FetchLinkRequest", types: messages[1].types)
            == "FetchLinkRequest(bytes32 token,string encryptedAddress,uint8 purpose,bytes32 nonce,uint64 issuedAt,address custodian)")
    }
}
