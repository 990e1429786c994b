import AsyncHTTPClient
import EthereumCore
import Foundation
import MDRSProtocol

extension GatewayClient {
    /// One page of `GET /fhir/AuditEvent` at `target` (path and query, e.g. a `next` link),
    /// signed as an auditor's AuditRequest, or, with `asPatient`, as the signer's own
    /// PatientRequest.
    public func fhirAuditEvents(_ target: String, asPatient: Bool = false) async throws -> FHIRBundle<FHIRAuditEvent> {
        var request = HTTPClientRequest(url: baseURL + target)
        let patient = key.address
        request.headers = try signedHeaders { nonce, issuedAt in
            asPatient
                ? SignedRequest.patient(patient, query: target, nonce: nonce, issuedAt: issuedAt, domain: domain)
                : SignedRequest.audit(query: target, nonce: nonce, issuedAt: issuedAt, domain: domain)
        }
        let response = try await httpClient.execute(request, timeout: .minutes(5))
        let data = try await response.body.collect(upTo: 256 << 20)
        guard response.status == .ok else { throw GatewayClientError(response.status, data) }
        return try JSONDecoder().decode(FHIRBundle<FHIRAuditEvent>.self, from: Data(buffer: data))
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
