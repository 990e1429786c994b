import Crypto
import EthereumCore
import MDRSProtocol

extension AccessPolicy {
    /// The longest justification a release in an emergency may carry, in UTF-8 bytes.
    package static let maximumJustificationBytes = 2000

    /// The emergency must exist: the first thing known about it.
    package func existingEmergency(_ emergency: EmergencyState?) throws -> EmergencyState {
        guard let emergency else { throw APIError(.emergencyNotFound, "no emergency was declared with this id") }
        return emergency
    }

    /// A release in a declared emergency: the signer declared it, under the registration they
    /// hold now, for a record held here; its window is open at `now` (the chain's time); and
    /// the purpose is emergency treatment, the only one an emergency opens.
    package func checkEmergency(
        _ emergency: EmergencyState, signer: Address, registration: StaffRegistration, purpose: PurposeOfUse, now: UInt64
    ) throws {
        guard emergency.staff == signer else {
            throw APIError(.notDeclarant, "the request is not signed by the staff member who declared the emergency")
        }
        guard now < emergency.expiresAt else {
            throw APIError(.emergencyExpired, "the emergency's window closed at \(emergency.expiresAt); declare a new one if it goes on")
        }
        guard purpose == .emergencyTreatment else {
            throw APIError(.emergencyPurpose, "an emergency opens a record for emergency treatment (ETREAT) only, not \(purpose.code)")
        }
        guard emergency.staffCustodian == registration.custodian, emergency.staffEpoch == registration.epoch else {
            throw APIError(
                .registrationChanged, "the emergency was declared under another registration of the staff member; declare it again")
        }
        guard emergency.custodian == custodian else {
            throw APIError(.wrongCustodian, "the emergency is for a record held by another custodian")
        }
    }

    /// The patient's stance, read again at the release: a patient who refused emergency access
    /// (or allowed it only to the holding hospital's staff) after the declaration is obeyed.
    package func checkEmergencyPolicy(_ policy: EmergencyPolicy, registration: StaffRegistration, emergency: EmergencyState) throws {
        switch policy {
        case .anyAllowedStaff: return
        case .holdingHospitalOnly where registration.custodian == emergency.custodian: return
        case .holdingHospitalOnly:
            throw APIError(.emergencyRefusedByPatient, "the patient allows emergency access only to the staff of the hospital that holds the record")
        case .refuse:
            throw APIError(.emergencyRefusedByPatient, "the patient refuses emergency access to their records")
        }
    }

    /// The justification's text must be the one declared: its SHA-256 is on-chain.
    package func checkJustification(_ text: String, emergency: EmergencyState) throws {
        guard Self.justificationHash(text) == emergency.justification else {
            throw APIError(.justificationMismatch, "the justification's text is not the one declared on-chain (its SHA-256 differs)")
        }
    }

    /// SHA-256 of the justification's UTF-8 text, as declared on-chain.
    package static func justificationHash(_ text: String) -> Bytes32 {
        // A SHA-256 digest is 32 bytes: the conversion cannot fail.
        (try? Bytes32(bytes: Array(SHA256.hash(data: Array(text.utf8))))) ?? .zero
    }
}
