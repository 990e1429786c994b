import EthereumCore
import EthereumRPC
import MDRSCore

/// Reads this custodian's `Accessed` events from the chain for the auditor: from a witness node
/// when there is one, since the check must not rest on the node that the outbox wrote through.
package struct AccessLogReader: Sendable {
    /// Blocks per `eth_getLogs` (Besu's default `--rpc-max-logs-range` is 5000).
    static let logWindow: UInt64 = 5000

    let contract: MedicalAccessContract
    let node: EthereumClient
    let custodian: Address
    /// The contract's deployment block: where reading starts.
    let fromBlock: UInt64

    package init(chain: ChainState, custodian: Address, fromBlock: UInt64) {
        self.contract = chain.contract
        self.node = (chain.witnesses.first ?? chain.contract).client
        self.custodian = custodian
        self.fromBlock = fromBlock
    }

    /// The events matching `filter` (indexed topics narrow the read), by request id. With
    /// `records`, only entries about one of those records (the filter's own record is ignored).
    package func entries(_ filter: AuditFilter, records: Set<Bytes32>? = nil) async throws -> [Bytes32: LoggedAccess] {
        let event = MedicalAccessABI.accessed
        let topics: [[Bytes32]?] = [
            [event.topic], records.map { $0.sorted { $0.hex < $1.hex } } ?? filter.record.map { [$0] },
            try filter.staff.map { [try ABIEvent.topic(for: .address($0), as: .address)] },
            try filter.patient.map { [try ABIEvent.topic(for: .address($0), as: .address)] },
        ]
        // Read in windows: production nodes cap the block range of one eth_getLogs.
        var logs = [Log]()
        do {
            let head = try await node.blockNumber()
            var from = fromBlock
            while from <= head {
                let to = min(from + Self.logWindow - 1, head)
                logs += try await node.logs(
                    LogFilter(fromBlock: .number(from), toBlock: .number(to), addresses: [contract.address], topics: topics))
                from = to + 1
            }
        } catch let error as JSONRPCError {
            throw MedicalAccessContract.chainError(error, calling: "eth_getLogs")
        }
        var entries = [Bytes32: LoggedAccess]()
        for log in logs {
            guard case .accessed(let accessed) = contract.event(log), accessed.custodian == custodian,
                filter.matches(accessedAt: accessed.entry.accessedAt)
            else { continue }
            entries[accessed.entry.requestId] = LoggedAccess(
                entry: accessed.entry, patient: accessed.patient, transactionHash: log.transactionHash, blockNumber: log.blockNumber,
                logIndex: log.logIndex)
        }
        return entries
    }
}
