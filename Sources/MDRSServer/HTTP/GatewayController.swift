import EthereumCore
import Hummingbird
import MDRSProtocol

/// The gateway's API routes (see ``Endpoint`` and `docs/openapi.json`).
struct GatewayController: Sendable {
    let gateway: Gateway
    let operations: OperationsController
    /// A separate operations listener serves `/metrics` and the readiness details; this one
    /// then answers readiness as a bare yes or no.
    let publicListener: Bool

    func addRoutes(to router: Router<some RequestContext>) {
        for endpoint in Endpoint.allCases where !(publicListener && endpoint == .metrics) {
            router.on(RouterPath(endpoint.path), method: endpoint.method) { request, context in
                try await handle(endpoint, request, parameters: context.parameters)
            }
        }
    }

    private func handle(_ endpoint: Endpoint, _ request: Request, parameters: Parameters) async throws -> Response {
        switch endpoint {
        case .info:
            return try Response.json(gateway.info)
        case .storeRecord:
            return try await gateway.storeRecord(request)
        case .anchorStatus:
            guard let recordId = try? Bytes32(try parameters.require("recordId")) else {
                throw APIError(.badRequest, "malformed record id")
            }
            return try Response.json(try await gateway.anchorStatus(recordId: recordId))
        case .fetch:
            return try await gateway.fetch(request, encryptedAddress: try parameters.require("address"))
        case .auditAccesses:
            return try await gateway.audit(request)
        case .auditCheck:
            return try await gateway.consistencyCheck(request)
        case .live, .ready, .metrics:
            return try await OperationsRoutes(gateway: gateway, operations: operations).respond(endpoint, detailed: !publicListener)
        }
    }
}

/// Liveness, readiness and metrics: on the public listener, or on their own (`http.ops_port`).
struct OperationsRoutes: Sendable {
    let gateway: Gateway
    let operations: OperationsController

    func addRoutes(to router: Router<some RequestContext>) {
        for endpoint in [Endpoint.live, .ready, .metrics] {
            router.on(RouterPath(endpoint.path), method: endpoint.method) { _, _ in
                try await respond(endpoint, detailed: true)
            }
        }
    }

    func respond(_ endpoint: Endpoint, detailed: Bool) async throws -> Response {
        switch endpoint {
        case .ready:
            let readiness = await operations.readiness()
            let status: HTTPResponse.Status = readiness.ready ? .ok : .serviceUnavailable
            return detailed ? try Response.json(readiness, status: status) : try Response.json(["ready": readiness.ready], status: status)
        case .metrics:
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: gateway.metrics.exposition())))
        default:
            return try Response.json(["status": "live"])
        }
    }
}
