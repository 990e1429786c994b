import EthereumCore

/// What an auditor asks of the access log.
public struct AuditFilter: Equatable, Sendable {
    public var record: Bytes32?
    public var patient: Address?
    public var staff: Address?
    /// Unix times, inclusive.
    public var from: UInt64?
    public var to: UInt64?

    public init(record: Bytes32? = nil, patient: Address? = nil, staff: Address? = nil, from: UInt64? = nil, to: UInt64? = nil) {
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
