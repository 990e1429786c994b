import AsyncHTTPClient
import EthereumCore
import Foundation
import MDRSProtocol
import NIOCore

extension GatewayClient {
    /// The emergencies (break-glass) this gateway released records in, for an auditor;
    /// `reviewed` false: only those still to review.
    public func emergencies(reviewed: Bool? = nil) async throws -> EmergencyQueue {
        let target = "/v1/emergencies" + (reviewed.map { "?reviewed=\($0)" } ?? "")
        let data = try await signedGET(target) { nonce, issuedAt in
            SignedRequest.audit(query: target, nonce: nonce, issuedAt: issuedAt, domain: domain)
        }
        return try JSONDecoder().decode(EmergencyQueue.self, from: data)
    }

    /// An auditor's review of `emergency`: `justified` or not, and why. Final once accepted.
    public func reviewEmergency(_ emergency: Bytes32, justified: Bool, note: String) async throws -> EmergencyQueue.Review {
        let verdict: UInt8 = justified ? 1 : 2
        var request = HTTPClientRequest(url: baseURL + "/v1/emergencies/\(emergency.hex)/review")
        request.method = .POST
        request.headers = try signedHeaders { nonce, issuedAt in
            SignedRequest.emergencyReview(emergency: emergency, verdict: verdict, note: note, nonce: nonce, issuedAt: issuedAt, domain: domain)
        }
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = try JSONEncoder().encode(["verdict": justified ? "justified" : "not_justified", "note": note])
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await httpClient.execute(request, timeout: .seconds(60))
        let data = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created else { throw GatewayClientError(response.status, data) }
        return try JSONDecoder().decode(EmergencyQueue.Review.self, from: Data(buffer: data))
    }
}
