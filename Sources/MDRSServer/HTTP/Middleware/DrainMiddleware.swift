import Hummingbird
import MDRSProtocol
import Synchronization

/// Counts each request in ``RequestDrain`` from its arrival until its response body is written
/// (a download counts until its last byte is handed to the connection), or the response is
/// dropped unwritten (a client that went away).
struct DrainMiddleware<Context: RequestContext>: RouterMiddleware {
    let drain: RequestDrain

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Shutting down: no new work (a proxy retries it on another replica; nothing of it was
        // done here), only the health answers, which say so.
        if drain.isDraining, !request.uri.path.hasPrefix("/health/") {
            throw APIError(.shuttingDown, "this gateway process is shutting down; send the request again (to another replica)", headers: [.retryAfter: "1"])
        }
        let ticket = Ticket(drain)
        var response = try await next(request, context)
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer { ticket.done() }
            try await body.write(writer)
        }
        return response
    }

    /// One request's place in the count, given back once: when its body is written, or when
    /// its response (and with it this ticket) is released.
    final class Ticket: Sendable {
        let drain: RequestDrain
        let counted = Atomic<Bool>(true)

        init(_ drain: RequestDrain) {
            self.drain = drain
            drain.begin()
        }

        func done() {
            if counted.exchange(false, ordering: .relaxed) { drain.end() }
        }

        deinit { done() }
    }
}
