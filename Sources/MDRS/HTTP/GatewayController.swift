import Ethereum
import Hummingbird

/// The gateway's API routes (see ``Endpoint`` and `docs/openapi.json`).
struct GatewayController: Sendable {
    let gateway: Gateway
    let operations: OperationsController

    func addRoutes(to router: Router<some RequestContext>) {
        for endpoint in Endpoint.allCases {
            router.on(RouterPath(endpoint.path), method: endpoint.method) { request, context in
                try await handle(endpoint, request, parameters: context.parameters)
            }
        }
    }

    private func handle(_ endpoint: Endpoint, _ request: Request, parameters: Parameters) async throws -> Response {
        switch endpoint {
        case .info:
            return try Response.json(GatewayInfo(
                custodian: gateway.custodian.checksummed, chainId: String(gateway.chainId),
                contract: gateway.contract.checksummed, version: "1"))
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
        case .live:
            return try Response.json(["status": "live"])
        case .ready:
            let readiness = await operations.readiness()
            return try Response.json(readiness, status: readiness.ready ? .ok : .serviceUnavailable)
        case .metrics:
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: gateway.metrics.exposition())))
        }
    }
}
