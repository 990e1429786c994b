import Hummingbird
import MDRSCore
import MDRSProtocol
import NIOCore

/// Refuses a client's requests beyond its rate (`429 rate_limited`) before any other work:
/// no signature is recovered, no database or chain is touched.
///
/// The client is its IP address; IPv6 clients by their /64, which is what one host usually
/// holds. Behind a reverse proxy every request comes from the proxy: rate-limit there, or raise
/// `http.rate_limit_per_second` (see docs/configuration.md).
struct RateLimitMiddleware<Context: RemoteAddressRequestContext>: RouterMiddleware {
    let limiter: RateLimiter<[UInt8]>
    let metrics: GatewayMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Health checks and scrapes come from the operators' own machines, often and by design.
        let path = request.uri.path
        let exempt = path.hasPrefix("/health/") || path == "/metrics"
        if !exempt, let key = Self.clientKey(context.remoteAddress), !limiter.allow(key) {
            metrics.rateLimited()
            var error = APIError(.rateLimited, "too many requests from this address; slow down and retry")
            error.headers[.retryAfter] = "1"
            throw error
        }
        return try await next(request, context)
    }

    /// The bytes that identify a client: its IPv4 address, or the /64 of its IPv6 address.
    static func clientKey(_ address: SocketAddress?) -> [UInt8]? {
        switch address {
        case .v4(let v4):
            return withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            // An IPv4 client on a dual-stack socket (::ffff:a.b.c.d) is its IPv4 address, not
            // the /64 that all IPv4 clients share.
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes[12..<16]) }
            return Array(bytes.prefix(8))
        default:
            return nil
        }
    }
}
