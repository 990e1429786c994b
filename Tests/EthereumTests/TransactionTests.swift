import BigInt
import EthereumCore
import Foundation
import Testing

@Suite("Transactions")
struct TransactionTests {
    @Test("legacy EIP-155 transactions sign to eth-account's bytes and hash")
    func legacy() throws {
        for vector in try Fixture.section("transactions", "legacy") {
            let key = try PrivateKey(hex: try vector.string("privateKey"))
            let tx = LegacyTransaction(
                chainId: try vector.big("chainId"), nonce: try vector.uint64("nonce"),
                gasPrice: try vector.big("gasPrice"), gasLimit: try vector.uint64("gas"),
                to: try vector.address("to"), value: try vector.big("value"), data: try vector.bytes("data"))
            let signed = try tx.signed(with: key)
            #expect(Hex.encode(signed.raw) == (try vector.string("raw")), "chain \(tx.chainId)")
            #expect(signed.hash.hex == (try vector.string("hash")))
            #expect(signed.from == (try vector.address("from")))
            let decoded = try SignedTransaction(raw: try vector.bytes("raw"))
            #expect(decoded == signed)
        }
    }

    @Test("type-2 transactions sign to eth-account's bytes and hash")
    func eip1559() throws {
        for vector in try Fixture.section("transactions", "eip1559") {
            let key = try PrivateKey(hex: try vector.string("privateKey"))
            let accessList = try #require(vector["accessList"]?.arrayValue).map { entry in
                AccessListEntry(
                    address: try #require(try entry.address("address")),
                    storageKeys: try #require(entry["storageKeys"]?.arrayValue).map { try Bytes32(try #require($0.stringValue)) })
            }
            let tx = EIP1559Transaction(
                chainId: try vector.big("chainId"), nonce: try vector.uint64("nonce"),
                maxPriorityFeePerGas: try vector.big("maxPriorityFeePerGas"), maxFeePerGas: try vector.big("maxFeePerGas"),
                gasLimit: try vector.uint64("gas"), to: try vector.address("to"), value: try vector.big("value"),
                data: try vector.bytes("data"), accessList: accessList)
            let signed = try tx.signed(with: key)
            #expect(Hex.encode(signed.raw) == (try vector.string("raw")), "chain \(tx.chainId)")
            #expect(signed.hash.hex == (try vector.string("hash")))
            #expect(signed.from == (try vector.address("from")))
            #expect(signed.signature.recoveryId == UInt8(try vector.uint64("yParity")))
            #expect(try SignedTransaction(raw: try vector.bytes("raw")) == signed)
        }
    }

    @Test("malformed raw transactions are refused")
    func malformed() throws {
        let raw = try Fixture.section("transactions", "eip1559")[0].bytes("raw")
        #expect(throws: (any Error).self) { try SignedTransaction(raw: []) }
        #expect(throws: (any Error).self) { try SignedTransaction(raw: [0x01] + raw.dropFirst()) }
        #expect(throws: (any Error).self) { try SignedTransaction(raw: Array(raw.dropLast())) }
        #expect(throws: (any Error).self) { try SignedTransaction(raw: raw + [0x00]) }
    }

    @Test("eth-account's Account.recover_transaction accepts what this toolkit signs")
    func acceptedByEthAccount() throws {
        let python = try #require(ProcessInfo.processInfo.environment["MDRS_TEST_PYTHON"], "run through deploy/dev test")
        var expected = [(raw: String, from: String, hash: String)]()
        for index in 0..<8 {
            let key = PrivateKey.random()
            let chainId = [BigUInt(1), 20200, 131_277_322_940_537, BigUInt(1) << 70][index % 4]
            let signed: SignedTransaction
            if index % 2 == 0 {
                signed = try EIP1559Transaction(
                    chainId: chainId, nonce: UInt64(index), maxPriorityFeePerGas: 1_000_000_000,
                    maxFeePerGas: BigUInt(30_000_000_000) << index, gasLimit: 100_000, to: PrivateKey.random().address,
                    value: BigUInt(index), data: Bytes32.random().bytes,
                    accessList: [AccessListEntry(address: key.address, storageKeys: [Bytes32.random()])]
                ).signed(with: key)
            } else {
                signed = try LegacyTransaction(
                    chainId: chainId, nonce: UInt64(index), gasPrice: 0, gasLimit: 50_000, to: nil, data: [0x60, 0x00]
                ).signed(with: key)
            }
            expected.append((Hex.encode(signed.raw), key.address.checksummed, signed.hash.hex))
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../vectors/recover_tx.py").standardized.path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(expected.map(\.raw).joined(separator: "\n").utf8 + [0x0A]))
        try input.fileHandleForWriting.close()
        let lines = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(lines.count == expected.count)
        for (line, want) in zip(lines, expected) {
            let answer = try JSONDecoder().decode(JSONValue.self, from: Data(line.utf8))
            #expect(answer["from"]?.stringValue == want.from)
            #expect(answer["hash"]?.stringValue == want.hash)
        }
    }
}
