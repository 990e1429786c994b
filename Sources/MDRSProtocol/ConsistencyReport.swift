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
        public let lostInRestore: Int
        public let commitmentMismatch: Int
        public let overdue: Int
        public let servedAfterRevocation: Int
        public let servedAfterExpiry: Int
        public let servedAfterRegistrationChange: Int

        public init(
            missingOnChain: Int, waiting: Int, rejected: Int, unknownHere: Int, lostInRestore: Int = 0, commitmentMismatch: Int, overdue: Int = 0,
            servedAfterRevocation: Int = 0, servedAfterExpiry: Int = 0, servedAfterRegistrationChange: Int = 0
        ) {
            self.missingOnChain = missingOnChain
            self.waiting = waiting
            self.rejected = rejected
            self.unknownHere = unknownHere
            self.lostInRestore = lostInRestore
            self.commitmentMismatch = commitmentMismatch
            self.overdue = overdue
            self.servedAfterRevocation = servedAfterRevocation
            self.servedAfterExpiry = servedAfterExpiry
            self.servedAfterRegistrationChange = servedAfterRegistrationChange
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
    /// On-chain entries of this custodian with no row here, made before the database was
    /// restored from a backup: rows the restore lost, which the chain still holds. They do not
    /// make the log inconsistent (the chain's account is whole), but the custodian's copy is
    /// short by them.
    public let lostInRestore: [String]
    /// Entries whose on-chain commitment does not match the row (the row or the log was altered).
    public let commitmentMismatch: [String]
    /// Served accesses still not on-chain after the outbox's stall bound: records that left and
    /// that the chain does not account for yet.
    public let overdue: [String]
    /// Served entries released after their grant was revoked on the chain (by more than the
    /// revocation bound), after it expired, or after the staff registration it was made under
    /// ended: what a lying chain node makes a gateway do.
    public let servedAfterRevocation: [String]
    public let servedAfterExpiry: [String]
    public let servedAfterRegistrationChange: [String]
    public let consistent: Bool
    public let counts: Counts
    /// The last block the index has read from the chain: the check covers everything up to it.
    public let indexedThroughBlock: Int64
    /// How many on-chain entries this call compared (the ones indexed since the last check).
    public let checkedEntries: Int
    /// Whether the custodian's numbered log has every number up to the contract's last.
    public let sequence: LogSequenceReport
    /// When the gateway first saw its database restored from a backup (or a standby promoted),
    /// in Unix seconds; absent for the original database.
    public let databaseRestoredAt: Int64?

    public init(
        custodian: String, onChainEntries: Int, localEntries: Int, missingOnChain: [String], waiting: [String], rejected: [String],
        unknownHere: [String], lostInRestore: [String] = [], commitmentMismatch: [String], overdue: [String] = [], servedAfterRevocation: [String] = [],
        servedAfterExpiry: [String] = [], servedAfterRegistrationChange: [String] = [], consistent: Bool, counts: Counts,
        indexedThroughBlock: Int64, checkedEntries: Int, sequence: LogSequenceReport, databaseRestoredAt: Int64? = nil
    ) {
        self.custodian = custodian
        self.onChainEntries = onChainEntries
        self.localEntries = localEntries
        self.missingOnChain = missingOnChain
        self.waiting = waiting
        self.rejected = rejected
        self.unknownHere = unknownHere
        self.lostInRestore = lostInRestore
        self.commitmentMismatch = commitmentMismatch
        self.overdue = overdue
        self.servedAfterRevocation = servedAfterRevocation
        self.servedAfterExpiry = servedAfterExpiry
        self.servedAfterRegistrationChange = servedAfterRegistrationChange
        self.consistent = consistent
        self.counts = counts
        self.indexedThroughBlock = indexedThroughBlock
        self.checkedEntries = checkedEntries
        self.sequence = sequence
        self.databaseRestoredAt = databaseRestoredAt
    }
}
