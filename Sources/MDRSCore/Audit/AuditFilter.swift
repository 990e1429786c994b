import EthereumCore

/// What an auditor asks of the access log.
package struct AuditFilter: Equatable, Sendable {
    package var record: Bytes32?
    package var patient: Address?
    package var staff: Address?
    /// Unix times, inclusive.
    package var from: UInt64?
    package var to: UInt64?

    package init(record: Bytes32? = nil, patient: Address? = nil, staff: Address? = nil, from: UInt64? = nil, to: UInt64? = nil) {
        self.record = record
        self.patient = patient
        self.staff = staff
        self.from = from
        self.to = to
    }

    package func matches(accessedAt: UInt64) -> Bool {
        (from.map { accessedAt >= $0 } ?? true) && (to.map { accessedAt <= $0 } ?? true)
    }
}
