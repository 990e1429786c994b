import HTTPTypes

/// A refusal as the client sees it: an HTTP status and a JSON body with a stable code.
///
/// `{"error": {"code": "grant_revoked", "message": "the grant was revoked by the patient"}}`
public struct APIError: Error, Equatable, Sendable {
    public enum Code: String, Sendable, CaseIterable {
        case badRequest = "bad_request"
        case signatureMissing = "signature_missing"
        case signatureInvalid = "signature_invalid"
        case requestStale = "request_stale"
        case nonceReused = "nonce_reused"
        case grantNotFound = "grant_not_found"
        case notGrantee = "not_grantee"
        case grantRevoked = "grant_revoked"
        case grantExpired = "grant_expired"
        case staffNotRegistered = "staff_not_registered"
        case registrationChanged = "registration_changed"
        case emergencyNotFound = "emergency_not_found"
        case notDeclarant = "not_emergency_declarant"
        case emergencyExpired = "emergency_expired"
        case emergencyPurpose = "emergency_purpose_required"
        case emergencyRefusedByPatient = "emergency_refused_by_patient"
        case justificationMismatch = "justification_mismatch"
        case emergencyAlreadyReviewed = "emergency_already_reviewed"
        case notCustodianStaff = "not_custodian_staff"
        case notAuditor = "not_auditor"
        case notPatient = "not_patient"
        case addressInvalid = "address_invalid"
        case addressMismatch = "address_mismatch"
        case wrongCustodian = "wrong_custodian"
        case recordNotFound = "record_not_found"
        case recordErased = "record_erased"
        case recordConflict = "record_conflict"
        case recordTooLarge = "record_too_large"
        case contentHashMismatch = "content_hash_mismatch"
        case rangeNotSatisfiable = "range_not_satisfiable"
        case chainUnavailable = "chain_unavailable"
        case chainDisagreement = "chain_disagreement"
        case auditLogStalled = "audit_log_stalled"
        case auditLogUnconfirmed = "audit_log_unconfirmed"
        case custodianInactive = "custodian_inactive"
        case databaseUnavailable = "database_unavailable"
        /// The hardware security module that holds the gateway's keys does not answer.
        case keyStoreUnavailable = "key_store_unavailable"
        case rateLimited = "rate_limited"
        case notFound = "not_found"
        case methodNotAllowed = "method_not_allowed"
        case internalError = "internal_error"
        /// The process is shutting down (SIGTERM) and takes no new request; another replica will.
        case shuttingDown = "shutting_down"

        public var status: HTTPResponse.Status {
            switch self {
            case .badRequest: .badRequest
            case .signatureMissing, .signatureInvalid, .requestStale: .unauthorized
            case .nonceReused, .recordConflict, .emergencyAlreadyReviewed: .conflict
            case .grantNotFound, .emergencyNotFound, .recordNotFound, .notFound: .notFound
            case .methodNotAllowed: .methodNotAllowed
            case .rateLimited: .tooManyRequests
            case .notGrantee, .grantRevoked, .grantExpired, .staffNotRegistered, .registrationChanged, .notCustodianStaff,
                .notAuditor, .notPatient, .addressMismatch, .wrongCustodian, .notDeclarant, .emergencyExpired, .emergencyPurpose,
                .emergencyRefusedByPatient, .justificationMismatch:
                .forbidden
            case .recordErased: .gone
            case .addressInvalid, .contentHashMismatch: .unprocessableContent
            case .recordTooLarge: .contentTooLarge
            case .rangeNotSatisfiable: .rangeNotSatisfiable
            case .chainUnavailable, .chainDisagreement, .auditLogStalled, .auditLogUnconfirmed, .databaseUnavailable,
                .keyStoreUnavailable, .custodianInactive, .shuttingDown:
                .serviceUnavailable
            case .internalError: .internalServerError
            }
        }
    }

    public let code: Code
    public let message: String
    /// Extra response headers (`Content-Range` of a 416, the request id of a refused fetch).
    public var headers: HTTPFields = [:]
    public var status: HTTPResponse.Status { code.status }

    public init(_ code: Code, _ message: String, headers: HTTPFields = [:]) {
        self.code = code
        self.message = message
        self.headers = headers
    }
}
