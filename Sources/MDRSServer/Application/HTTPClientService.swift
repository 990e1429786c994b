import AsyncHTTPClient
import ServiceLifecycle

/// Shuts the shared `HTTPClient` down when the service group stops (AsyncHTTPClient requires
/// an explicit shutdown).
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
