import AsyncHTTPClient
import BigInt
import EthereumCore
import EthereumRPC
import Foundation
import MDRSChain
import Testing

/// The toolkit's JSON-RPC client against a real node (the dev chain): typed helpers, batches,
/// error objects kept whole, revert data decoded, unreachable nodes told apart.
@Suite("JSON-RPC client")
struct JSONRPCClientTests {
    @Test("typed helpers read the chain")
    func helpers() async throws {
        let client = try DevChain.client()
        let chainId = try await client.chainId()
        #expect(chainId > BigUInt(UInt32.max), "the dev chain's id is above 2^32")
        let head = try await client.blockNumber()
        let block = try #require(try await client.block(.number(head)))
        #expect(block.number == head && block.baseFeePerGas != nil)
        #expect(try await client.block(.number(head + 1_000_000)) == nil)
        let key = try await DevChain.fundedKey()
        #expect(try await client.balance(of: key.address) == BigUInt(10).power(20))
        #expect(try await client.transactionCount(of: key.address, at: .pending) == 0)
        #expect(try await client.gasPrice() > 0)
        let history = try await client.feeHistory(blockCount: 2, rewardPercentiles: [50])
        #expect(history.baseFeePerGas.count >= 2)
        #expect(try await client.transactionReceipt(Bytes32.random()) == nil)
        #expect(try await client.code(at: key.address).isEmpty)
    }

    @Test("a batch returns each call's result or error in order")
    func batch() async throws {
        let client = try DevChain.client()
        let answers = try await client.rpc.batch([
            (method: "eth_chainId", params: []),
            (method: "no_such_method", params: []),
            (method: "eth_blockNumber", params: []),
        ])
        #expect(answers.count == 3)
        #expect((try? answers[0].get())?.stringValue == Hex.quantity(try await client.chainId()))
        guard case .failure(let error) = answers[1] else {
            Issue.record("an unknown method succeeded")
            return
        }
        #expect(error.code == .server && error.rpcCode == -32601)
        #expect((try? answers[2].get())?.stringValue != nil)
    }

    @Test("a reverted call keeps code, message and data; the revert decodes to the custom error")
    func revert() async throws {
        let contract = try await DevChain.deploy(admin: try await DevChain.fundedKey())
        let data = try MedicalAccessABI.getGrant.encodeCall([.bytes32(Bytes32.random())])
        do {
            _ = try await contract.client.call(CallRequest(to: contract.address, data: data))
            Issue.record("getGrant of an unknown token did not revert")
        } catch let error as JSONRPCError {
            #expect(error.code == .server && error.rpcCode == 3)
            #expect(error.message.contains("execution reverted"))
            let reason = MedicalAccessABI.revertReason(try #require(error.revertData))
            #expect(reason.customName == "UnknownGrant")
        }
    }

    @Test("an unreachable node is a transport error, not an answer")
    func unreachable() async throws {
        let client = EthereumClient(rpc: JSONRPCClient(
            configuration: .init(url: "http://127.0.0.1:\(try freePort())", timeout: .seconds(2)), httpClient: HTTPClient.shared))
        do {
            _ = try await client.blockNumber()
            Issue.record("a closed port answered")
        } catch let error as JSONRPCError {
            #expect(error.isUnavailable)
        }
    }

    @Test("the dev chain's timed mode mines on its clock, several transactions per block", .timeLimit(.minutes(6)))
    func blockTime() async throws {
        let chain = try await PrivateChain(blockTime: 1)
        let client = chain.client
        let key = try await DevChain.fundedKey(on: client)
        try await eventually("the funding is mined") { try await client.balance(of: key.address) > 0 }
        let chainId = try await client.chainId()
        let fees = try await FeeQuote.suggest(using: client)
        let signed = try (0..<3).map { nonce in
            try fees.transaction(chainId: chainId, nonce: UInt64(nonce), gasLimit: 21_000, to: PrivateKey.random().address, value: 1, data: [])
                .signed(with: key)
        }
        let hashes = signed.map(\.hash)
        // Sent in one batch: separate round trips on a loaded machine could straddle a block
        // boundary. In instant mode each would get a block of its own.
        let sent = try await client.rpc.batch(signed.map { ("eth_sendRawTransaction", [.string(Hex.encode($0.raw))]) })
        #expect(sent.allSatisfy { (try? $0.get()) != nil })
        var blocks = Set<UInt64>()
        for hash in hashes {
            try await eventually("the transaction is mined") { try await client.transactionReceipt(hash) != nil }
            blocks.insert(try #require(try await client.transactionReceipt(hash)).blockNumber)
        }
        #expect(blocks.count == 1, "three transactions sent within one block time share a block")
        // Pool rules as on go-ethereum: the same bytes again, and a too-cheap replacement. The
        // miner pauses meanwhile, so that the pending transaction cannot be mined in between.
        try await chain.stopMining()
        let pending = try fees.transaction(chainId: chainId, nonce: 3, gasLimit: 21_000, to: key.address, value: 1, data: []).signed(with: key)
        try await client.sendRawTransaction(pending.raw)
        await #expect { try await client.sendRawTransaction(pending.raw) } throws: { ($0 as? JSONRPCError)?.isAlreadyKnown == true }
        let cheap = try fees.transaction(chainId: chainId, nonce: 3, gasLimit: 21_000, to: key.address, value: 2, data: []).signed(with: key)
        await #expect { try await client.sendRawTransaction(cheap.raw) } throws: { ($0 as? JSONRPCError)?.isReplacementUnderpriced == true }
        let stale = try fees.transaction(chainId: chainId, nonce: 0, gasLimit: 21_000, to: key.address, value: 1, data: []).signed(with: key)
        await #expect { try await client.sendRawTransaction(stale.raw) } throws: { ($0 as? JSONRPCError)?.isNonceTooLow == true }
        let otherChain = try fees.transaction(chainId: 1, nonce: 4, gasLimit: 21_000, to: key.address, value: 1, data: []).signed(with: key)
        await #expect(throws: JSONRPCError.self) { try await client.sendRawTransaction(otherChain.raw) }
        await chain.kill()
    }
}
