import Foundation
import Hummingbird
import MDRSChain
import MDRSCore
import MDRSPostgres
import MDRSProtocol
import PostgresNIO

extension APIError: HTTPResponseError {
    /// The JSON body `{"error": {"code", "message"}}`, with `Retry-After` on a 503.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try response(body: ["error": ["code": code.rawValue, "message": message]], contentType: "application/json")
    }

    /// This refusal's status and headers (`Retry-After` on a 503) with `body` as JSON: the
    /// `/v1` error object, or a FHIR route's OperationOutcome.
    func response(body: some Encodable, contentType: String) throws -> Response {
        var headers = self.headers
        headers[.contentType] = contentType
        if code.status == .serviceUnavailable, headers[.retryAfter] == nil { headers[.retryAfter] = "5" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(body))))
    }
}

extension APIError {
    /// The gateway's own failures (a fault, or its key store failing), logged as errors with
    /// what caused them; outages and refusals are not.
    var isGatewayFault: Bool { code == .internalError || code == .keyStoreUnavailable }

    /// Maps an internal error to what the client may see: our own error codes translate, the
    /// chain being down is a 503, and anything else is a 500 without details.
    init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as GatewayError:
            switch error.code {
            case .recordNotFound: self.init(.recordNotFound, "no such record")
            case .recordErased: self.init(.recordErased, "the record was erased")
            case .recordTooLarge: self.init(.recordTooLarge, error.message)
            case .contentHashMismatch:
                self.init(.contentHashMismatch, "the body does not match \(SignedRequest.Header.contentSHA256); nothing was stored")
            case .invalidContentType: self.init(.badRequest, error.message)
            case .bodyIncomplete: self.init(.badRequest, "\(error.message); nothing was stored")
            case .invalidRange: self.init(.rangeNotSatisfiable, error.message)
            case .addressMalformed, .addressUnknownVersion, .addressTampered:
                self.init(.addressInvalid, "the encrypted address is not valid: \(error.message)")
            case .addressWrongCustodian: self.init(.wrongCustodian, "the encrypted address belongs to another custodian")
            case .integrityFailure: self.init(.internalError, "the record failed its integrity check")
            case .keyStoreFailure:
                self.init(.keyStoreUnavailable, "the gateway's key store (its hardware security module) does not answer; nothing was released or stored")
            default: self.init(.internalError, "internal error")
            }
        case let error as ChainError where error.code == .unavailable || error.code == .timeout:
            self.init(.chainUnavailable, "the blockchain cannot be reached, or the node is not following it; no grant can be checked")
        case let error as ChainError where error.code == .disagreement:
            self.init(.chainDisagreement, "the gateway's chain nodes disagree about the grant; nothing is released until they agree")
        case let error where DatabaseUnavailability.explains(error):
            self.init(.databaseUnavailable, "the gateway's database cannot be reached just now; nothing was released or stored")
        default:
            self.init(.internalError, "internal error")
        }
    }
}
