import EthereumCore
import Foundation
import MDRSProtocol

extension GatewayClient {
    /// One page of `GET /fhir/AuditEvent` at `target` (path and query, e.g. a `next` link),
    /// signed as an auditor's AuditRequest, or, with `asPatient`, as the signer's own
    /// PatientRequest.
    public func fhirAuditEvents(_ target: String, asPatient: Bool = false) async throws -> FHIRBundle<FHIRAuditEvent> {
        let patient = key.address
        let body = try await signedGET(target) { nonce, issuedAt in
            asPatient
                ? SignedRequest.patient(patient, query: target, nonce: nonce, issuedAt: issuedAt, domain: domain)
                : SignedRequest.audit(query: target, nonce: nonce, issuedAt: issuedAt, domain: domain)
        }
        return try JSONDecoder().decode(FHIRBundle<FHIRAuditEvent>.self, from: body)
    }

    /// Every AuditEvent matching `query` (`patient=…&date=ge…`), page after page, each page
    /// handed to `body` as it arrives.
    public func forEachFHIRAuditEventPage(
        query: [String], count: Int = 1000, asPatient: Bool = false, _ body: ([FHIRAuditEvent]) throws -> Void
    ) async throws {
        var target: String? = "/fhir/AuditEvent?" + (query + ["_count=\(count)"]).joined(separator: "&")
        while let next = target {
            let page = try await fhirAuditEvents(next, asPatient: asPatient)
            try body((page.entry ?? []).map(\.resource))
            target = page.next
        }
    }
}
