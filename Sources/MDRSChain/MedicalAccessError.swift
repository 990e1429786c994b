/// The contract's custom errors, named as its ABI names them (the `# @error` lines of
/// `deploy/contract/MedicalAccess.vy`); a test checks this list against the compiled artifact.
/// Reverts are matched by these cases, never by a name typed elsewhere.
package enum MedicalAccessError: String, CaseIterable, Sendable {
    case notAdmin = "NotAdmin"
    case notCustodian = "NotCustodian"
    case custodianAlreadyRegistered = "CustodianAlreadyRegistered"
    case staffAlreadyRegistered = "StaffAlreadyRegistered"
    case staffNotRegistered = "StaffNotRegistered"
    case notStaffCustodian = "NotStaffCustodian"
    case zeroAddress = "ZeroAddress"
    case zeroRecordId = "ZeroRecordId"
    case recordAlreadyAnchored = "RecordAlreadyAnchored"
    case recordNotFound = "RecordNotFound"
    case notRecordPatient = "NotRecordPatient"
    case invalidExpiry = "InvalidExpiry"
    case unknownGrant = "UnknownGrant"
    case notGrantPatient = "NotGrantPatient"
    case grantAlreadyRevoked = "GrantAlreadyRevoked"
    case grantRevoked = "GrantRevoked"
    case grantExpired = "GrantExpired"
    case notGrantee = "NotGrantee"
    case emptyBatch = "EmptyBatch"
    case outOfSequence = "OutOfSequence"
    case registrationChanged = "RegistrationChanged"
    case foreignDenial = "ForeignDenial"
    case notEmergencyStaff = "NotEmergencyStaff"
    case invalidEmergency = "InvalidEmergency"
    case invalidEmergencyRules = "InvalidEmergencyRules"
    case invalidEmergencyPolicy = "InvalidEmergencyPolicy"
    case unknownEmergency = "UnknownEmergency"
    case notEmergencyCustodian = "NotEmergencyCustodian"
    case emergencyAlreadyReviewed = "EmergencyAlreadyReviewed"
    case invalidVerdict = "InvalidVerdict"
}

extension ChainError {
    /// The contract's error, when the call reverted with one of its own.
    package var contractError: MedicalAccessError? { revertName.flatMap(MedicalAccessError.init(rawValue:)) }
}
