/// The result of `GET /v1/audit/check`.
public struct ConsistencyReport: Codable, Sendable {
    public let custodian: String
    public let onChainEntries: Int
    public let localEntries: Int
    /// Rows the gateway believes are on-chain (confirmed) but the chain does not have.
    public let missingOnChain: [String]
    /// Rows still waiting for the chain (pending or submitted), and rows the contract refused
    /// (which make the log inconsistent: a decision that never reached the chain).
    public let waiting: [String]
    public let rejected: [String]
    /// On-chain entries of this custodian with no row here.
    public let unknownHere: [String]
    /// Entries whose on-chain commitment does not match the row (the row or the log was altered).
    public let commitmentMismatch: [String]
    public let consistent: Bool

    public init(custodian: String, onChainEntries: Int, localEntries: Int, missingOnChain: [String], waiting: [String], rejected: [String], unknownHere: [String], commitmentMismatch: [String], consistent: Bool) {
        self.custodian = custodian
        self.onChainEntries = onChainEntries
        self.localEntries = localEntries
        self.missingOnChain = missingOnChain
        self.waiting = waiting
        self.rejected = rejected
        self.unknownHere = unknownHere
        self.commitmentMismatch = commitmentMismatch
        self.consistent = consistent
    }
}
