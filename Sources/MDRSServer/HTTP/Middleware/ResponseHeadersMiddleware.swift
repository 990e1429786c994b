import HTTPTypes
import Hummingbird
import MDRSProtocol

/// Headers every answer carries, and the shape of answers the routes do not make themselves.
///
/// - `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, and a
///   `Content-Security-Policy` that lets nothing run and only this origin frame the answer (the
///   portal reads a refused download's JSON from a frame of its own; no other site may frame it). `Cache-Control: no-store` unless the route set its own: answers carry medical
///   data or audit trails that no shared cache may keep.
/// - A path no route serves is `404 not_found`; a route's path with another method is `405
///   method_not_allowed` with `Allow`. Both with the JSON error body every other refusal has.
struct ResponseHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The endpoints this listener serves (the public one may leave the operations ones out).
    let served: [Endpoint]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            Self.addHeaders(to: &response.headers)
            return response
        } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
            var refusal: APIError
            let methods = served.filter { $0.matches(path: request.uri.path) }.map(\.method)
            if methods.isEmpty {
                refusal = APIError(.notFound, "no such route: \(request.uri.path)")
            } else {
                refusal = APIError(
                    .methodNotAllowed, "\(request.method.rawValue) is not served here; use \(methods.map(\.rawValue).joined(separator: ", "))")
                refusal.headers[.allow] = methods.map(\.rawValue).joined(separator: ", ")
            }
            Self.addHeaders(to: &refusal.headers)
            throw refusal
        } catch var error as APIError {
            Self.addHeaders(to: &error.headers)
            throw error
        }
    }

    static func addHeaders(to headers: inout HTTPFields) {
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "no-referrer"
        if headers[.contentSecurityPolicy] == nil {
            headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'self'"
        }
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
    }
}
