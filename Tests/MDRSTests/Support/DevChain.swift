import AsyncHTTPClient
import BigInt
import EthereumCore
import EthereumRPC
import Foundation
import MDRSChain
import Testing

/// The dev chain `deploy/dev test` runs: clients (with a long timeout: at the suite's start every
/// test queues on the one chain), freshly funded accounts (so parallel tests
/// never share a nonce), and contract deployments.
enum DevChain {
    static var rpcURL: String { get throws { try TestEnvironment.require("MDRS_TEST_RPC_URL") } }

    static func client(timeout: Duration = .seconds(60)) throws -> EthereumClient {
        EthereumClient(rpc: JSONRPCClient(
            configuration: .init(url: try rpcURL, timeout: .seconds(Int64(timeout.components.seconds))),
            httpClient: HTTPClient.shared))
    }

    /// A new key holding 100 ether from the faucet of the dev chain behind `client` (the
    /// shared one by default).
    static func fundedKey(on client: EthereumClient? = nil) async throws -> PrivateKey {
        let key = PrivateKey.random()
        try await fund(key.address, on: client)
        return key
    }

    /// Gives `address` 100 ether (the dev chain's `dev_fund`): for keys made elsewhere, in a token.
    static func fund(_ address: Address, on client: EthereumClient? = nil) async throws {
        let client = try client ?? self.client()
        _ = try await client.rpc.call("dev_fund", [.string(address.lowercased), .string(Hex.quantity(BigUInt(10).power(20)))])
    }

    static func submitter(_ key: any DigestSigner, on client: EthereumClient? = nil) async throws -> TransactionSubmitter {
        try await TransactionSubmitter(client: client ?? self.client(), key: key)
    }

    static var artifact: ContractArtifact {
        get throws {
            try ContractArtifact(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("deploy/contract/MedicalAccess.json"))
        }
    }

    /// Deploys a fresh MedicalAccess contract administered by `admin`.
    static func deploy(admin: PrivateKey, on client: EthereumClient? = nil) async throws -> MedicalAccessContract {
        let client = try client ?? self.client()
        let address = try await artifact.deploy(using: try await submitter(admin, on: client))
        return MedicalAccessContract(address: address, client: client)
    }

    /// Moves the chain's clock forward and mines a block.
    static func advanceTime(seconds: UInt64) async throws {
        let client = try client()
        _ = try await client.rpc.call("evm_increaseTime", [.string(Hex.quantity(seconds))])
        _ = try await client.rpc.call("evm_mine", [])
    }

    /// The timestamp of the latest block.
    static func now() async throws -> UInt64 {
        try #require(try await client().block(.latest)).timestamp
    }
}
