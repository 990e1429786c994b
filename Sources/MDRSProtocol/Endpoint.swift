import HTTPTypes

/// Every route the gateway serves. Routes are registered from this list, and a test checks it
/// against `docs/openapi.json`, so the document cannot drift from the code.
public enum Endpoint: String, CaseIterable, Sendable {
    case info, staffDirectory, storeRecord, anchorStatus, recordDocument, fetch, auditAccesses, auditCheck, patientAccesses,
        patientDocuments, emergencies, emergencyReview, fhirAuditEvents, fhirDocumentReferences, fhirDocumentReference, live, ready, metrics

    public var method: HTTPRequest.Method {
        self == .storeRecord || self == .emergencyReview ? .post : .get
    }

    /// The path in Hummingbird's syntax (`:name` parameters).
    public var path: String {
        switch self {
        case .info: "/v1/info"
        case .staffDirectory: "/v1/staff"
        case .storeRecord: "/v1/records"
        case .anchorStatus: "/v1/records/:recordId/anchor"
        case .recordDocument: "/v1/records/:recordId/document"
        case .fetch: "/v1/access/:address"
        case .auditAccesses: "/v1/audit/accesses"
        case .auditCheck: "/v1/audit/check"
        case .patientAccesses: "/v1/patients/:patient/accesses"
        case .patientDocuments: "/v1/patients/:patient/documents"
        case .emergencies: "/v1/emergencies"
        case .emergencyReview: "/v1/emergencies/:emergency/review"
        case .fhirAuditEvents: "/fhir/AuditEvent"
        case .fhirDocumentReferences: "/fhir/DocumentReference"
        case .fhirDocumentReference: "/fhir/DocumentReference/:id"
        case .live: "/health/live"
        case .ready: "/health/ready"
        case .metrics: "/metrics"
        }
    }

    /// Whether `path` (a request's path) is this endpoint's, parameters matching any segment.
    public func matches(path: String) -> Bool {
        let pattern = self.path.split(separator: "/", omittingEmptySubsequences: false)
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard pattern.count == segments.count else { return false }
        return zip(pattern, segments).allSatisfy { $0.hasPrefix(":") ? !$1.isEmpty : $0 == $1 }
    }

    /// The path in OpenAPI's syntax (`{name}` parameters).
    public var openAPIPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }.joined(separator: "/")
    }
}
