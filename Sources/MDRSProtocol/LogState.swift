/// Where an access row or a record's anchor stands on its way to the chain: `chain_state` in
/// the database, `local.chainState` and the anchor's `status` in the API.
public enum LogState: String, Codable, Sendable, CaseIterable {
    /// Waiting for a batch.
    case pending
    /// In a batch transaction that is not yet confirmed.
    case submitted
    /// On-chain, with its transaction, block and log index.
    case confirmed
    /// Kept here only (a stale or replayed request, a denial over budget or not for this
    /// custodian to log): never sent.
    case localOnly = "local_only"
    /// The contract refused it.
    case rejected

    /// Rows that still have to reach the chain.
    public var isWaiting: Bool { self == .pending || self == .submitted }
}
