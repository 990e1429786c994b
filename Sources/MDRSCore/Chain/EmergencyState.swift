import EthereumCore

/// A patient's stance on emergency access to their records (break-glass), as the contract keeps
/// it (`setEmergencyPolicy`).
public enum EmergencyPolicy: UInt8, Sendable, CaseIterable {
    /// Staff whom their hospital allows to break the glass (the default).
    case anyAllowedStaff = 0
    /// Only such staff of the hospital that holds the record.
    case holdingHospitalOnly = 1
    /// Nobody.
    case refuse = 2
}

/// A declared emergency as the chain holds it (`getEmergency`): who may open which record
/// without a grant, until when, and its review.
public struct EmergencyState: Equatable, Sendable {
    public let id: Bytes32
    public let staff: Address
    public let patient: Address
    public let recordId: Bytes32
    /// The record's custodian: whose gateway may release it, and who reviews the emergency.
    public let custodian: Address
    public let staffCustodian: Address
    public let staffEpoch: UInt64
    public let reason: UInt8
    /// SHA-256 of the justification's text (which the custodian keeps).
    public let justification: Bytes32
    public let declaredAt: UInt64
    /// Unix time; the window is open while the chain's time is before it.
    public let expiresAt: UInt64
    /// 0 not yet reviewed, 1 justified, 2 not justified.
    public let verdict: UInt8
    public let reviewer: Address
    public let reviewNote: Bytes32

    package init(id: Bytes32, tuple: ABIValue) throws {
        let f = try tuple.asArray()
        self.id = id
        self.staff = try f[0].asAddress()
        self.patient = try f[1].asAddress()
        self.recordId = try f[2].asBytes32()
        self.custodian = try f[3].asAddress()
        self.staffCustodian = try f[4].asAddress()
        self.staffEpoch = try f[5].asUInt64()
        self.reason = UInt8(truncatingIfNeeded: try f[6].asUInt64())
        self.justification = try f[7].asBytes32()
        self.declaredAt = try f[8].asUInt64()
        self.expiresAt = try f[9].asUInt64()
        self.verdict = UInt8(truncatingIfNeeded: try f[10].asUInt64())
        self.reviewer = try f[11].asAddress()
        self.reviewNote = try f[12].asBytes32()
    }
}
