import HTTPTypes
import Hummingbird
import MDRSProtocol

/// Lets the portal of another hospital of the consortium read this gateway's API, and no other
/// site: for the routes that portal needs, a request whose `Origin` is a gateway registered
/// on-chain (``ConsortiumOrigins``) is answered with `Access-Control-Allow-Origin` naming it, and
/// its preflight (`OPTIONS`, for the signed `MDRS-*` headers) is answered 204. Any other origin
/// gets no CORS header, so a browser keeps the answer from the page, and its preflight is not
/// answered (405), so a browser never sends the signed request at all.
struct ConsortiumCORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: ConsortiumOrigins

    /// What another hospital's portal reads here: who this gateway is and its staff, a record's
    /// anchor and what it is, a doctor's fetch, a patient's records and history.
    static var routes: [Endpoint] { [.info, .staffDirectory, .anchorStatus, .recordDocument, .fetch, .patientAccesses, .patientDocuments] }

    static var allowedHeaders: String {
        [
            SignedRequest.Header.token, SignedRequest.Header.purpose, SignedRequest.Header.nonce, SignedRequest.Header.issuedAt,
            SignedRequest.Header.signature, SignedRequest.Header.patient, SignedRequest.Header.emergencyJustification, "Range",
        ].joined(separator: ", ")
    }

    static var exposedHeaders: String {
        [SignedRequest.Header.requestId, SignedRequest.Header.recordSHA256, "Content-Range", "Content-Length"]
            .joined(separator: ", ")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], Self.routes.contains(where: { $0.matches(path: request.uri.path) }),
            origins.allows(origin)
        else {
            return try await next(request, context)
        }
        if request.method == .options {
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = "GET"
            headers[.accessControlAllowHeaders] = Self.allowedHeaders
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // A refusal is for the page to read too (its JSON says why).
            response = try error.response(from: request, context: context)
        }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        response.headers[.vary] = "Origin"
        return response
    }
}
