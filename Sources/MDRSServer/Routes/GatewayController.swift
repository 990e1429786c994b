import EthereumCore
import Hummingbird
import Logging
import MDRSCore
import MDRSPostgres
import MDRSProtocol

/// The gateway's API routes (see ``Endpoint`` and `docs/openapi.json`). Each route's errors are
/// mapped to the API's answer and counted here, in one place; the controllers only decide.
struct GatewayController: Sendable {
    let info: GatewayInfo
    /// The hospital's published staff directory (`/v1/staff`).
    let directory: StaffDirectoryStore
    let fetch: FetchController
    let store: StoreController
    let documents: DocumentController
    let audit: AuditController
    let operations: OperationsRoutes
    let metrics: GatewayMetrics
    /// A separate operations listener serves `/metrics` and the readiness details; this one
    /// then answers readiness as a bare yes or no.
    let publicListener: Bool

    func addRoutes(to router: Router<some RequestContext>) {
        for endpoint in Endpoint.allCases where !(publicListener && endpoint == .metrics) {
            router.on(RouterPath(endpoint.path), method: endpoint.method) { request, context in
                let client = (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress
                return try await handle(endpoint, request, parameters: context.parameters, client: client, logger: context.logger)
            }
        }
    }

    /// The route name and success outcome counted in `mdrs_requests_total`; nil: not counted.
    private static func route(_ endpoint: Endpoint) -> (name: String, success: String)? {
        switch endpoint {
        case .fetch: ("fetch", "served")
        case .storeRecord: ("store", "stored")
        case .auditAccesses: ("audit", "ok")
        case .auditCheck: ("audit_check", "consistent")
        case .patientAccesses: ("patient_history", "ok")
        case .fhirAuditEvents: ("fhir_audit", "ok")
        case .emergencies: ("emergencies", "ok")
        case .emergencyReview: ("emergency_review", "reviewed")
        case .recordDocument, .patientDocuments: ("document", "ok")
        case .fhirDocumentReferences, .fhirDocumentReference: ("fhir_document", "ok")
        default: nil
        }
    }

    private func handle(
        _ endpoint: Endpoint, _ request: Request, parameters: Parameters, client: String?, logger: Logger
    ) async throws -> Response {
        let route = Self.route(endpoint)
        do {
            var outcome = route?.success
            let response: Response
            switch endpoint {
            case .info:
                response = try Response.json(info)
            case .staffDirectory:
                // The bytes as published: clients check them against the SHA-256 on-chain.
                guard let document = try await directory.latestDocument() else {
                    throw APIError(.notFound, "this hospital has published no staff directory")
                }
                var headers = HTTPFields()
                headers[.contentType] = "application/json"
                headers[.cacheControl] = "no-cache"
                response = Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document)))
            case .storeRecord:
                response = try await store.store(request, logger: logger)
            case .anchorStatus:
                guard let recordId = try? Bytes32(try parameters.require("recordId")) else {
                    throw APIError(.badRequest, "malformed record id")
                }
                response = try await store.anchorStatus(recordId)
            case .recordDocument:
                guard let recordId = try? Bytes32(try parameters.require("recordId")) else {
                    throw APIError(.badRequest, "malformed record id")
                }
                response = try Response.json(try await documents.document(request, recordId: recordId).0)
            case .patientDocuments:
                response = try Response.json(try await documents.patientDocuments(request, patient: try parameters.require("patient")))
            case .fhirDocumentReferences:
                response = try await documents.fhirDocumentReferences(request)
            case .fhirDocumentReference:
                response = try await documents.fhirDocumentReference(request, id: try parameters.require("id"))
            case .fetch:
                response = try await fetch.fetch(request, encryptedAddress: try parameters.require("address"), client: client, logger: logger)
            case .auditAccesses:
                response = try await audit.accesses(request)
            case .patientAccesses:
                response = try await audit.patientAccesses(request, patient: try parameters.require("patient"))
            case .fhirAuditEvents:
                response = try await audit.fhirAuditEvents(request)
            case .emergencies:
                response = try await audit.emergencies(request)
            case .emergencyReview:
                response = try await audit.reviewEmergency(request, emergency: try parameters.require("emergency"))
            case .auditCheck:
                let (answer, consistent) = try await audit.check(request)
                response = answer
                if !consistent { outcome = "inconsistent" }
            case .live, .ready, .metrics:
                response = try await operations.respond(endpoint, detailed: !publicListener)
            }
            if let route, let outcome { metrics.request(route: route.name, outcome: outcome) }
            return response
        } catch {
            let refusal = APIError(error)
            if refusal.isGatewayFault, endpoint != .fetch {
                // A fetch logs its own, with the request's id.
                logger.error("\(route?.name ?? endpoint.rawValue) failed", metadata: ["error": "\(ErrorDescription.text(error))"])
            }
            if let route { metrics.request(route: route.name, outcome: refusal.code.rawValue) }
            if [.fhirAuditEvents, .fhirDocumentReferences, .fhirDocumentReference].contains(endpoint) { throw FHIRRefusal(error: refusal) }
            throw refusal
        }
    }
}

/// Liveness, readiness and metrics: on the public listener, or on their own (`http.ops_port`).
struct OperationsRoutes: Sendable {
    let operations: OperationsController
    let metrics: GatewayMetrics

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
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        default:
            return try Response.json(["status": "live"])
        }
    }
}
