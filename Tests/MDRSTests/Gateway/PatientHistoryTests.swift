import EthereumCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import MDRSClient
import MDRSProtocol
@testable import MDRSServer
import PostgresNIO
import NIOCore
import Testing

/// `GET /v1/patients/{patient}/accesses`: the patient sees who accessed their records, and
/// nobody else does (but an auditor).
@Suite("Patient history")
struct PatientHistoryTests {
    /// A PatientRequest signed by `key` for `patient`'s history, sent with the given time and nonce.
    static func request(
        _ gateway: LiveGateway, key: PrivateKey, patient: Address, issuedAt: UInt64 = UInt64(Date().timeIntervalSince1970),
        nonce: Bytes32 = .random()
    ) async throws -> TestResponse {
        let d = gateway.deployment
        let target = "/v1/patients/\(patient.checksummed)/accesses"
        let signature = try SignedRequest.patient(
            patient, query: target, nonce: nonce, issuedAt: issuedAt,
            domain: SigningDomain(chainId: d.chainId, contract: d.contract.address, custodian: d.hospital.address)
        ).sign(with: key)
        var headers = HTTPFields()
        headers[HTTPField.Name(SignedRequest.Header.nonce)!] = nonce.hex
        headers[HTTPField.Name(SignedRequest.Header.issuedAt)!] = String(issuedAt)
        headers[HTTPField.Name(SignedRequest.Header.signature)!] = signature.hex
        return try await gateway.client.execute(uri: target, method: .get, headers: headers, body: nil)
    }

    @Test("the patient sees every access and refused attempt, with staff, hospital, purpose and outcome", .timeLimit(.minutes(6)))
    func ownHistory() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let stored = try await gateway.store(Array("history".utf8), contentType: "text/plain")
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)
            let served = try await GatewayRefusalTests.send(
                FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: stored.encryptedAddress), via: gateway)
            #expect(served.status == .ok)
            var copied = FetchRequestBuilder(deployment: d, key: d.doctor2, token: token, encryptedAddress: stored.encryptedAddress)
            copied.purpose = .research
            GatewayRefusalTests.expectRefusal(try await GatewayRefusalTests.send(copied, via: gateway), status: .forbidden, code: "not_grantee")
            try await eventually("both are on-chain") {
                try await gateway.accessRows().allSatisfy { $0.state == "confirmed" }
            }

            let (history, _) = try await gateway.client(d.patient).history()
            #expect(history.patient == d.patient.address.checksummed)
            #expect(history.custodian == d.hospital.address.checksummed)
            #expect(history.accesses.count == 2)
            let release = try #require(history.accesses.first { $0.outcome == 1 })
            #expect(release.staff == d.doctor.address.checksummed)
            #expect(release.hospital == d.hospital.address.checksummed)
            #expect(release.purposeCode == "TREAT" && release.purposeText == "treatment")
            #expect(release.reason == "served" && release.recordId == stored.recordId)
            #expect(release.transactionHash != nil && release.blockNumber != nil)
            let refusal = try #require(history.accesses.first { $0.outcome != 1 })
            #expect(refusal.staff == d.doctor2.address.checksummed)
            #expect(refusal.reason == "not_grantee" && refusal.purposeCode == "HRESCH")
            #expect(refusal.transactionHash != nil)

            // An auditor sees the same; another patient sees nothing of it.
            let (audited, _) = try await gateway.client(d.auditor).history(of: d.patient.address)
            #expect(audited.accesses == history.accesses)
            // A key made a moment ago is "the patient" of itself: it gets the empty answer, and
            // costs no nonce row (nor a chain read).
            func nonceRows() async throws -> Int64 {
                try await gateway.postgres.query("SELECT count(*) FROM request_nonces", logger: TestEnvironment.logger)
                    .decode(Int64.self).first(where: { _ in true }) ?? -1
            }
            let before = try await nonceRows()
            let stranger = PrivateKey.random()
            #expect(try await gateway.client(stranger).history().history.accesses.isEmpty)
            #expect(try await nonceRows() == before)
        }
    }

    @Test("a patient's address in the path is not logged")
    func redactedPath() {
        let path = "/v1/patients/0xdBa746516eD122eeD027c6A2bef9D31C60AE6232/accesses"
        #expect(RequestLogMiddleware<GatewayRequestContext>.loggable(path) == "/v1/patients/…/accesses")
        #expect(RequestLogMiddleware<GatewayRequestContext>.loggable("/v1/info") == "/v1/info")
    }

    @Test("another patient, a staff member, a stale and a replayed request are refused", .timeLimit(.minutes(6)))
    func refusals() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let patient = d.patient.address
            // The patient has a record here (a patient with none gets the empty answer unchecked).
            _ = try await gateway.store(Array("refusals".utf8), contentType: "text/plain")
            GatewayRefusalTests.expectRefusal(
                try await Self.request(gateway, key: PrivateKey.random(), patient: patient), status: .forbidden, code: "not_patient")
            GatewayRefusalTests.expectRefusal(try await Self.request(gateway, key: d.doctor, patient: patient), status: .forbidden, code: "not_patient")
            GatewayRefusalTests.expectRefusal(try await Self.request(gateway, key: d.clerk, patient: patient), status: .forbidden, code: "not_patient")
            GatewayRefusalTests.expectRefusal(
                try await Self.request(gateway, key: d.patient, patient: patient, issuedAt: UInt64(Date().timeIntervalSince1970) - 3600),
                status: .unauthorized, code: "request_stale")
            let nonce = Bytes32.random()
            let first = try await Self.request(gateway, key: d.patient, patient: patient, nonce: nonce)
            #expect(first.status == .ok, "\(String(buffer: first.body))")
            GatewayRefusalTests.expectRefusal(
                try await Self.request(gateway, key: d.patient, patient: patient, nonce: nonce), status: .conflict, code: "nonce_reused")
            let bad = try await gateway.client.execute(uri: "/v1/patients/0x1234/accesses", method: .get, headers: [:], body: nil)
            GatewayRefusalTests.expectRefusal(bad, status: .badRequest, code: "bad_request")
        }
    }
}
