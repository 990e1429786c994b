import Foundation
import Hummingbird
import MDRSProtocol

/// A refusal on a FHIR route: the same status, headers and error code as ``APIError``, with
/// the body a FHIR client reads, an `OperationOutcome`.
struct FHIRRefusal: HTTPResponseError {
    let error: APIError

    var status: HTTPResponse.Status { error.status }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let outcome = FHIROperationOutcome(apiCode: error.code.rawValue, issueType: Self.issueType(error.code), message: error.message)
        return try error.response(body: outcome, contentType: Response.fhirContentType)
    }

    /// FHIR's IssueType for a gateway error code.
    static func issueType(_ code: APIError.Code) -> String {
        switch code {
        case .badRequest: "invalid"
        case .signatureMissing, .signatureInvalid, .requestStale: "login"
        case .nonceReused: "duplicate"
        case .notAuditor, .notPatient: "forbidden"
        case .rateLimited: "throttled"
        case .notFound: "not-found"
        case .methodNotAllowed: "not-supported"
        case .chainUnavailable, .chainDisagreement, .databaseUnavailable, .keyStoreUnavailable, .auditLogStalled, .auditLogUnconfirmed, .custodianInactive, .shuttingDown: "transient"
        default: "exception"
        }
    }
}

extension Response {
    static let fhirContentType = "application/fhir+json"

    /// A FHIR JSON response.
    static func fhir(_ value: some Encodable) throws -> Response {
        try json(value, contentType: fhirContentType)
    }
}
