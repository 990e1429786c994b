import Hummingbird
import Logging

/// Logs each request at debug level: method, path and status, never the query string or
/// headers, which may carry a signed URL's signature, grant tokens or patient addresses.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            context.logger.debug("request", metadata: ["method": "\(request.method)", "path": "\(Self.loggable(request.uri.path))", "status": "\(response.status.code)"])
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            context.logger.debug("request", metadata: ["method": "\(request.method)", "path": "\(Self.loggable(request.uri.path))", "status": "\(status)"])
            throw error
        }
    }

    /// The path without what names a person: a patient's address in `/v1/patients/{patient}/…`.
    static func loggable(_ path: String) -> String {
        guard path.hasPrefix("/v1/patients/") else { return path }
        var segments = path.split(separator: "/", omittingEmptySubsequences: false)
        if segments.count > 3 { segments[3] = "…" }
        return segments.joined(separator: "/")
    }
}
