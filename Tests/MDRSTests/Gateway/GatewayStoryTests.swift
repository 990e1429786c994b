import AsyncHTTPClient
import EthereumCore
import Foundation
import HummingbirdTesting
import MDRSChain
import MDRSClient
import MDRSProtocol
import MDRSServer
import NIOCore
import NIOFoundationCompat
import Testing

/// The whole story through real HTTP, against PostgreSQL and the dev chain.
@Suite("Gateway end to end")
struct GatewayStoryTests {
    static func study(_ size: Int = 3 * 1024 * 1024 + 4321) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    @Test("store, grant, fetch, audit, revoke: the story", .timeLimit(.minutes(6)))
    func story() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let bytes = Self.study()
            let stored = try await gateway.store(bytes)
            #expect(stored.size == Int64(bytes.count))
            #expect(stored.sha256 == Bytes32.sha256(bytes).hex)
            let recordId = try Bytes32(stored.recordId)
            let anchor = try #require(try await d.contract.record(recordId))
            #expect(anchor.contentHash.hex == stored.sha256)
            #expect(anchor.custodian == d.hospital.address && anchor.patient == d.patient.address)

            try await d.send(d.doctor, MedicalAccessContract.requestAccess(recordId, purpose: .treatment))
            let token = try await d.grant(recordId, to: d.doctor)

            // The doctor fetches: the bytes match, and the hash matches the on-chain anchor.
            let doctor = try await gateway.client(d.doctor)
            let file = d.path("fetched")
            let fetched = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment, to: file)
            #expect(fetched.sha256 == anchor.contentHash)
            #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == Data(bytes))
            let requestId = try #require(fetched.requestId)

            // A range is served as 206 with exactly its bytes.
            let ranged = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment, range: "bytes=1048570-1048599")
            #expect(ranged.status == .partialContent)
            #expect(ranged.headers.first(name: "Content-Range") == "bytes 1048570-1048599/\(bytes.count)")
            let rangeBody = try await ranged.body.collect(upTo: 1 << 20)
            #expect(Array(rangeBody.readableBytesView) == Array(bytes[1_048_570...1_048_599]))

            // The access row is written, then confirmed on-chain with its transaction and log index.
            try await eventually("the access is confirmed on-chain") { try await gateway.accessRow(requestId)?.state == "confirmed" }
            #expect(try await d.contract.logHead(of: d.hospital.address).sequence >= 1)

            // The auditor sees it, joined with the hospital's row, and the log is consistent.
            let auditor = try await gateway.client(d.auditor)
            let report = try JSONDecoder().decode(AuditReport.self, from: try await auditor.audit("/v1/audit/accesses?record=\(recordId.hex)"))
            let entry = try #require(report.entries.first { $0.requestId == requestId })
            #expect(entry.onChain != nil && entry.local?.reason == "served" && entry.local?.commitmentValid == true)
            #expect(entry.staff == d.doctor.address.checksummed && entry.patient == d.patient.address.checksummed)
            let byPatient = try JSONDecoder().decode(AuditReport.self, from: try await auditor.audit("/v1/audit/accesses?patient=\(d.patient.address.checksummed)"))
            #expect(byPatient.entries.count == report.entries.count)
            let check = try JSONDecoder().decode(ConsistencyReport.self, from: try await auditor.audit("/v1/audit/check"))
            #expect(check.consistent, "\(check)")
            // Only auditors may audit.
            await #expect(throws: GatewayClientError.self) { try await doctor.audit("/v1/audit/check") }

            // The patient revokes. The bound is in blocks, not seconds: as soon as the gateway's
            // head has reached the revocation's block, the doctor is refused. (The time that
            // takes, one poll interval plus a log read, is printed, not asserted.)
            let revocation = try await d.send(d.patient, MedicalAccessContract.revoke(token))
            let revokedAt = ContinuousClock.now
            try await eventually("the gateway's head reaches the revocation's block") {
                let ready = try await gateway.client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil)
                let head = try JSONSerialization.jsonObject(with: Data(buffer: ready.body)) as? [String: Any]
                return (head?["chainHead"] as? Int).map { UInt64($0) >= revocation.blockNumber } ?? false
            }
            print("the gateway saw the revocation's block \(ContinuousClock.now - revokedAt) after it was mined (poll interval 100 ms)")
            let refused = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            #expect(refused.status == .forbidden)
            #expect(String(buffer: try await refused.body.collect(upTo: 1 << 16)).contains("grant_revoked"))

            // A second doctor with a copied token and address is refused, and nothing streams.
            let token2 = try await d.grant(recordId, to: d.doctor)
            let doctor2 = try await gateway.client(d.doctor2)
            let stolen = try await doctor2.fetch(token: token2, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            #expect(stolen.status == .forbidden)
            #expect(String(buffer: try await stolen.body.collect(upTo: 1 << 16)).contains("not_grantee"))

            // Metrics count what happened.
            let metrics = try await gateway.client.execute(uri: "/metrics", method: .get, headers: [:], body: nil)
            let text = String(buffer: metrics.body)
            #expect(text.contains("mdrs_requests_total") && text.contains("mdrs_bytes_streamed_total") && text.contains("mdrs_grant_cache_total"))
        }
    }
}
