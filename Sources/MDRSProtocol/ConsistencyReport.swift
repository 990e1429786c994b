/// The result of `GET /v1/audit/check`: how the chain's entries (as the gateway's index read
/// them) and the custodian's rows compare. The check is incremental; every finding so far is
/// listed (up to 1,000 request ids per kind; `counts` are complete).
public struct ConsistencyReport: Codable, Sendable {
    /// How many entries of each kind there are.
    public struct Counts: Codable, Sendable, Equatable {
        public let missingOnChain: Int
        public let waiting: Int
        public let rejected: Int
        public let unknownHere: Int
        public let commitmentMismatch: Int

        public init(missingOnChain: Int, waiting: Int, rejected: Int, unknownHere: Int, commitmentMismatch: Int) {
            self.missingOnChain = missingOnChain
            self.waiting = waiting
            self.rejected = rejected
            self.unknownHere = unknownHere
            self.commitmentMismatch = commitmentMismatch
        }
    }

    public let custodian: String
    public let onChainEntries: Int
    /// The custodian's rows meant for the chain (local-only ones excluded).
    public let localEntries: Int
    /// Rows the gateway believes are on-chain (confirmed) but the chain does not have.
    public let missingOnChain: [String]
    /// Rows not on-chain yet as far as the index has read (pending, submitted, or confirmed in a
    /// later block), and rows the contract refused (which make the log inconsistent: a decision
    /// that never reached the chain).
    public let waiting: [String]
    public let rejected: [String]
    /// On-chain entries of this custodian with no row here.
    public let unknownHere: [String]
    /// Entries whose on-chain commitment does not match the row (the row or the log was altered).
    public let commitmentMismatch: [String]
    public let consistent: Bool
    public let counts: Counts
    /// The last block the index has read from the chain: the check covers everything up to it.
    public let indexedThroughBlock: Int64
    /// How many on-chain entries this call compared (the ones indexed since the last check).
    public let checkedEntries: Int
    /// Whether the custodian's numbered log has every number up to the contract's last.
    public let sequence: LogSequenceReport

    public init(
        custodian: String, onChainEntries: Int, localEntries: Int, missingOnChain: [String], waiting: [String], rejected: [String],
        unknownHere: [String], commitmentMismatch: [String], consistent: Bool, counts: Counts, indexedThroughBlock: Int64,
        checkedEntries: Int, sequence: LogSequenceReport
    ) {
        self.custodian = custodian
        self.onChainEntries = onChainEntries
        self.localEntries = localEntries
        self.missingOnChain = missingOnChain
        self.waiting = waiting
        self.rejected = rejected
        self.unknownHere = unknownHere
        self.commitmentMismatch = commitmentMismatch
        self.consistent = consistent
        self.counts = counts
        self.indexedThroughBlock = indexedThroughBlock
        self.checkedEntries = checkedEntries
        self.sequence = sequence
    }
}
