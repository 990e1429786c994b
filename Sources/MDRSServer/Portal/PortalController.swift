import HTTPTypes
import Hummingbird
import MDRSProtocol

/// Serves the portal: `/` is its page, `/portal/…` its files.
///
/// The page runs only scripts and styles of this origin, talks only to this origin and to the
/// gateways of the consortium's other hospitals as they published them on-chain (the wallet
/// reaches the chain on its own), and may not be framed: a strict Content-Security-Policy with
/// no inline script and no origin outside the consortium.
struct PortalController: Sendable {
    let assets: PortalAssets
    let consortium: ConsortiumOrigins?

    /// The policy with `origins` (the consortium's gateways) allowed to be contacted.
    static func contentSecurityPolicy(connecting origins: Set<String> = []) -> String {
        let others = origins.sorted().joined(separator: " ")
        let connect = others.isEmpty ? "connect-src 'self'" : "connect-src 'self' \(others)"
        return [
            "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob:", "frame-src 'self' blob:",
            // The download worker (download.js) hands a streamed record to the browser's downloads.
            "worker-src 'self'",
            connect, "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/") { _, _ in try response(for: "/portal/index.html") }
        for path in assets.assets.keys {
            router.get(RouterPath(path)) { _, _ in try response(for: path) }
        }
    }

    func response(for path: String) throws -> Response {
        guard let asset = assets.assets[path] else { throw APIError(.notFound, "no such page") }
        return Response(
            status: .ok,
            headers: [
                .contentType: asset.contentType, .contentSecurityPolicy: Self.contentSecurityPolicy(connecting: consortium?.current ?? []),
                // A site that opened the portal keeps no handle on its window.
                .crossOriginOpenerPolicy: "same-origin",
                // Revalidate on every load: an updated gateway must not run yesterday's scripts.
                .cacheControl: "no-cache",
            ],
            body: .init(byteBuffer: asset.bytes))
    }
}
