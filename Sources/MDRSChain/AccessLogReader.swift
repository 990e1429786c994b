import EthereumCore
import EthereumRPC
import MDRSCore

/// Reads this custodian's `Accessed` events from the chain for the audit index: from a witness
/// node when there is one, since the audit must not rest on the node the outbox writes through.
package struct AccessLogReader: Sendable {
    /// Blocks per `eth_getLogs` (Besu's default `--rpc-max-logs-range` is 5000).
    package static let logWindow: UInt64 = 5000

    let contract: MedicalAccessContract
    /// The contract as the audit node answers for it.
    package let audited: MedicalAccessContract
    let node: EthereumClient
    let custodian: Address
    let metrics: GatewayMetrics

    package init(chain: ChainState, custodian: Address) {
        self.init(contract: chain.contract, audited: chain.witnesses.first ?? chain.contract, custodian: custodian, metrics: chain.metrics)
    }

    /// Reads `custodian`'s entries through `audited`, a node's view of `contract`.
    package init(contract: MedicalAccessContract, audited: MedicalAccessContract, custodian: Address, metrics: GatewayMetrics) {
        self.contract = contract
        self.audited = audited
        self.node = audited.client
        self.custodian = custodian
        self.metrics = metrics
    }

    /// The audit node's latest block number.
    package func head() async throws -> UInt64 {
        try await read("eth_blockNumber") { try await node.blockNumber() }
    }

    /// Where this custodian's numbered log stood at block `number`: its last sequence number.
    /// With the block's `hash` (as the index read it), the read is of that block (EIP-1898): a
    /// node that reorganised since answers with an error, not with another branch's number.
    ///
    /// A node that does not take the object form may answer for its latest block instead (FISCO
    /// BCOS reads it as `latest`): an answer naming a last entry after `number` cannot be of that
    /// block, and the head is read again by number.
    package func logHead(at number: UInt64, hash: Bytes32? = nil) async throws -> LogHead {
        if let hash {
            metrics.chainCall("eth_call")
            let head = try await audited.logHead(of: custodian, at: .hash(hash))
            if head.blockNumber <= number { return head }
        }
        metrics.chainCall("eth_call")
        return try await audited.logHead(of: custodian, at: .number(number))
    }

    /// The hash of block `number` on the audit node's chain; nil if it has no such block (yet).
    package func blockHash(_ number: UInt64) async throws -> Bytes32? {
        try await read("eth_getBlockByNumber") { try await node.block(.number(number))?.hash }
    }

    /// This custodian's entries in blocks `from...to` (at most ``logWindow`` blocks), in chain order.
    package func entries(from: UInt64, to: UInt64) async throws -> [LoggedAccess] {
        let logs = try await read("eth_getLogs") {
            try await node.logs(LogFilter(
                fromBlock: .number(from), toBlock: .number(to), addresses: [contract.address], topics: [[MedicalAccessABI.accessed.topic]]))
        }
        return logs.compactMap { log in
            guard !log.removed, case .accessed(let accessed) = contract.event(log), accessed.custodian == custodian else { return nil }
            return LoggedAccess(
                entry: accessed.entry, patient: accessed.patient, transactionHash: log.transactionHash, blockNumber: log.blockNumber,
                blockHash: log.blockHash, logIndex: log.logIndex, sequence: accessed.sequence)
        }
    }

    private func read<T>(_ method: String, _ body: () async throws -> T) async throws -> T {
        metrics.chainCall(method)
        do {
            return try await body()
        } catch let error as JSONRPCError {
            throw MedicalAccessContract.chainError(error, calling: method)
        }
    }
}
