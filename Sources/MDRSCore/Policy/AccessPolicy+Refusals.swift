import EthereumCore
import MDRSProtocol

extension AccessPolicy {
    /// Refusals that are outages or the gateway's own faults: not decisions about a person, so
    /// never on-chain.
    package static let outageCodes: Set<APIError.Code> = [
        .chainUnavailable, .chainDisagreement, .auditLogStalled, .databaseUnavailable, .keyStoreUnavailable, .custodianInactive,
        .internalError,
    ]

    /// Whether a refused fetch that gets a row is also logged on-chain: only a decision about a
    /// fresh request (a stale or replayed one could be anyone's), when the configuration asks
    /// for denials on-chain, no served row was written for it, and the custodian may speak of
    /// it under the contract's rule (the record is held here or the signer is its own staff).
    package func logsOnChain(
        _ code: APIError.Code, registration: StaffRegistration, fresh: Bool, recordHeldHere: Bool, servedRowWritten: Bool,
        denialsOnChain: Bool
    ) -> Bool {
        fresh && denialsOnChain && !servedRowWritten && !Self.outageCodes.contains(code)
            && (recordHeldHere || registration.custodian == custodian)
    }

    /// The outcome logged for a refusal.
    package static func outcome(for code: APIError.Code) -> AccessOutcome {
        switch code {
        case .signatureMissing, .signatureInvalid: .signatureInvalid
        case .requestStale: .requestStale
        case .nonceReused: .nonceReused
        case .grantNotFound: .grantUnknown
        case .notGrantee: .notGrantee
        case .grantRevoked: .grantRevoked
        case .grantExpired: .grantExpired
        case .staffNotRegistered: .staffNotRegistered
        case .registrationChanged: .registrationChanged
        case .addressInvalid: .addressInvalid
        case .wrongCustodian: .wrongCustodian
        case .addressMismatch: .addressMismatch
        case .recordNotFound: .recordNotFound
        case .recordErased: .recordErased
        case .recordConflict: .recordConflict
        case .emergencyNotFound: .emergencyUnknown
        case .notDeclarant: .notDeclarant
        case .emergencyExpired: .emergencyExpired
        case .emergencyPurpose: .emergencyPurpose
        case .emergencyRefusedByPatient: .emergencyRefusedByPatient
        case .justificationMismatch: .justificationMismatch
        default: .refused
        }
    }
}
