import Ethereum
import Hummingbird

/// The gateway's API routes; see `docs/openapi.yaml`.
struct GatewayController: Sendable {
    let gateway: Gateway

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/v1/info") { _, _ in
            try Response.json(GatewayInfo(
                custodian: gateway.custodian.checksummed, chainId: String(gateway.chainId),
                contract: gateway.contract.checksummed, version: "1"))
        }
        router.post("/v1/records") { request, _ in
            try await gateway.storeRecord(request)
        }
        router.get("/v1/records/:recordId/anchor") { _, context in
            let text = try context.parameters.require("recordId")
            guard let recordId = try? Bytes32(text) else { throw APIError(.badRequest, "malformed record id") }
            return try Response.json(try await gateway.anchorStatus(recordId: recordId))
        }
        router.get("/v1/access/:address") { request, context in
            try await gateway.fetch(request, encryptedAddress: try context.parameters.require("address"))
        }
        router.get("/v1/audit/accesses") { request, _ in
            try await gateway.audit(request)
        }
        router.get("/v1/audit/check") { request, _ in
            try await gateway.consistencyCheck(request)
        }
    }
}
