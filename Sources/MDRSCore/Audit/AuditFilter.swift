import EthereumCore

/// What an auditor (or a patient) asks of the access log: which entries, and which page.
package struct AuditFilter: Equatable, Sendable {
    /// Entries per page when the request names no `limit`, and the most it may name.
    package static let defaultLimit = 100
    package static let maximumLimit = 1000

    package var record: Bytes32?
    package var patient: Address?
    package var staff: Address?
    package var outcome: UInt8?
    package var purpose: UInt8?
    /// Unix times, inclusive.
    package var from: UInt64?
    package var to: UInt64?
    /// The page starts after this entry.
    package var after: AuditCursor?
    package var limit: Int

    package init(
        record: Bytes32? = nil, patient: Address? = nil, staff: Address? = nil, outcome: UInt8? = nil, purpose: UInt8? = nil,
        from: UInt64? = nil, to: UInt64? = nil, after: AuditCursor? = nil, limit: Int = AuditFilter.defaultLimit
    ) {
        self.record = record
        self.patient = patient
        self.staff = staff
        self.outcome = outcome
        self.purpose = purpose
        self.from = from
        self.to = to
        self.after = after
        self.limit = limit
    }
}
