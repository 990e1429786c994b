/// What the gateway decided about a fetch, as logged locally and on-chain (`outcome`).
public enum AccessOutcome: UInt8, Sendable, CaseIterable {
    case served = 1
    case signatureInvalid = 2
    case requestStale = 3
    case nonceReused = 4
    case grantUnknown = 5
    case notGrantee = 6
    case grantRevoked = 7
    case grantExpired = 8
    case staffNotRegistered = 9
    case addressInvalid = 10
    case addressMismatch = 11
    case recordNotFound = 12
    case recordErased = 13
    case recordConflict = 14
    case wrongCustodian = 15
    /// The grant was made under an earlier registration of the staff member (deregistered and
    /// registered again since, here or at another hospital).
    case registrationChanged = 16
    /// Served in a declared emergency (break-glass), without a grant: the entry's token is the
    /// emergency's id. Logged on-chain as such, reviewed afterwards.
    case servedEmergency = 20
    /// Break-glass refusals: no emergency has this id; the signer did not declare it; its window
    /// has closed; the purpose is not emergency treatment; the patient refuses emergency access
    /// (or allows it only to the holding hospital's staff); the justification's text is not the
    /// one declared.
    case emergencyUnknown = 21
    case notDeclarant = 22
    case emergencyExpired = 23
    case emergencyPurpose = 24
    case emergencyRefusedByPatient = 25
    case justificationMismatch = 26
    /// On-chain only: the contract logged a served access whose grant the chain does not hold
    /// (the gateway released the record on a grant a dishonest node showed it, or a bug). The
    /// record left; the entry is an incident for the custodian's operator and its auditors.
    case servedWithoutGrant = 254
    case refused = 255

    /// Whether the record was released (in the ordinary way or in an emergency).
    public var released: Bool { self == .served || self == .servedEmergency }
}
