import BigInt
import EthereumCore
import EthereumRPC
import Testing

/// Two senders of one key (an administrator beside a running gateway's log writer): each call
/// lands exactly once.
@Suite("Transaction submitter")
struct TransactionSubmitterTests {
    @Test("two submitters racing on one key: every call lands, none twice", .timeLimit(.minutes(6)))
    func sharedKey() async throws {
        let client = try DevChain.client()
        let key = try await DevChain.fundedKey(on: client)
        let recipient = PrivateKey.random().address
        let perSender = 8
        // Distinct values, so that no two calls are the same bytes.
        let hashes = try await withThrowingTaskGroup(of: [Bytes32].self) { group in
            for sender in 0..<2 {
                group.addTask {
                    let submitter = try await DevChain.submitter(key, on: client)
                    var hashes = [Bytes32]()
                    for index in 0..<perSender {
                        let receipt = try await submitter.submit(to: recipient, data: [], value: BigUInt(1 + sender * perSender + index), gasLimit: 21_000)
                        hashes.append(receipt.transactionHash)
                    }
                    return hashes
                }
            }
            return try await group.reduce(into: [Bytes32]()) { $0 += $1 }
        }
        #expect(Set(hashes).count == 2 * perSender)
        #expect(try await client.transactionCount(of: key.address, at: .latest) == UInt64(2 * perSender))
        let expected = (1...(2 * perSender)).reduce(BigUInt(0)) { $0 + BigUInt($1) }
        #expect(try await client.balance(of: recipient) == expected)
    }
}
