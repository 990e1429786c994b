import AsyncHTTPClient
import EthereumCore
import Foundation
import HummingbirdTesting
@testable import MDRSChain
@testable import MDRSCore
@testable import MDRSPostgres
import MDRSProtocol
@testable import MDRSServer
import NIOCore
import PostgresNIO
import Testing

/// Who may be served, and whose log entries count: registrations, other hospitals, and the
/// outbox's reading of what the contract already holds.
@Suite("Gateway authorization")
struct GatewayAuthorizationTests {
    @Test("an off-boarded doctor is not served again on old grants when another hospital hires them", .timeLimit(.minutes(3)))
    func registrationChanged() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let stored = try await gateway.store(Array("a record of hospital A".utf8), contentType: "text/plain")
            let recordId = try Bytes32(stored.recordId)
            let token = try await d.grant(recordId, to: d.doctor)
            let doctor = try await gateway.client(d.doctor)
            let served = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            #expect(served.status == .ok)
            _ = try await served.body.collect(upTo: 1 << 16)

            // Hospital A off-boards the doctor; hospital B registers the same address.
            let (hospitalB, _) = try await gateway.secondHospital()
            try await d.send(d.hospital, MedicalAccessContract.deregisterStaff(d.doctor.address))
            try await d.send(hospitalB, MedicalAccessContract.registerStaff(d.doctor.address))

            try await eventually("the new registration is seen") {
                let again = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
                let body = String(buffer: try await again.body.collect(upTo: 1 << 16))
                return again.status == .forbidden && body.contains("registration_changed")
            }
            // The refusal is A's to log (its record), on-chain.
            let rows = try await gateway.accessRows()
            #expect(rows.last?.reason == "registration_changed")
            #expect(rows.last?.state != "local_only")

            // Consent given now, to the doctor at hospital B, is served (consortium sharing).
            let fresh = try await d.grant(recordId, to: d.doctor)
            let shared = try await doctor.fetch(token: fresh, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            #expect(shared.status == .ok)
            #expect(String(buffer: try await shared.body.collect(upTo: 1 << 16)) == "a record of hospital A")
        }
    }

    @Test("another hospital cannot take over a served access's on-chain entry", .timeLimit(.minutes(3)))
    func squattedRequestId() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let stored = try await gateway.store(Array("served once".utf8), contentType: "text/plain")
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)
            let (hospitalB, doctorB) = try await gateway.secondHospital()
            let doctor = try await gateway.client(d.doctor)
            let served = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            #expect(served.status == .ok)
            _ = try await served.body.collect(upTo: 1 << 16)
            let requestId = try Bytes32(try #require(served.headers.first(name: SignedRequest.Header.requestId)))

            // Hospital B logs a denial of its own doctor under A's request id, racing A's writer.
            let squatter = AccessEntry(
                requestId: requestId, token: Bytes32.random(), recordId: Bytes32.random(), staff: doctorB.address,
                purpose: 1, outcome: AccessOutcome.notGrantee.rawValue, accessedAt: UInt64(Date().timeIntervalSince1970),
                commitment: Bytes32.random())
            try await d.send(hospitalB, MedicalAccessContract.logAccess([squatter]))
            #expect(try await d.contract.accessLoggedAt(requestId, by: hospitalB.address) != nil)

            // A's row is confirmed with A's own entry: custodian A, A's commitment.
            try await eventually("A's access is confirmed") { try await gateway.accessRow(requestId.hex)?.state == "confirmed" }
            let row = try #require(try await Self.confirmation(of: requestId, in: gateway))
            let receipt = try #require(try await d.contract.client.transactionReceipt(row.tx))
            let log = try #require(receipt.logs.first { $0.logIndex == row.logIndex })
            let event = try #require(d.contract.decode(log))
            #expect(try event.value("custodian").asAddress() == d.hospital.address)
            #expect(try event.value("requestId").asBytes32() == requestId)
            #expect(try event.value("commitment").asBytes32() == row.commitment)
            #expect(try await d.contract.accessLoggedAt(requestId, by: d.hospital.address) == receipt.blockNumber)
        }
    }

    @Test("a request id this custodian already logged counts only with the row's own commitment", .timeLimit(.minutes(3)))
    func duplicateRequestResolution() async throws {
        let d = try await Deployment.make()
        // Two denials of the hospital's doctor, as the gateway would log them.
        func denial() -> AccessRecord {
            AccessRecord(
                requestId: Bytes32.random(), token: Bytes32.random(), recordId: Bytes32.random(), staff: d.doctor.address, patient: nil,
                custodian: d.hospital.address, purpose: 1, outcome: .grantUnknown, reason: "grant_not_found",
                accessedAt: UInt64(Date().timeIntervalSince1970), rangeStart: nil, rangeEnd: nil, signatureHash: Bytes32.random())
        }
        let matching = denial(), conflicting = denial()
        // Both request ids are on-chain already under this custodian's key (a batch whose
        // receipt the writer never saw), the second with another commitment.
        let forged = AccessEntry(
            requestId: conflicting.requestId, token: conflicting.token, recordId: conflicting.recordId, staff: conflicting.staff,
            purpose: conflicting.purpose, outcome: conflicting.outcome.rawValue, accessedAt: conflicting.accessedAt,
            commitment: Bytes32.random())
        let earlier = try await d.send(d.hospital, MedicalAccessContract.logAccess([matching.entry, forged]))

        try await LiveGateway.run(deployment: d) { gateway in
            let outbox = OutboxStore(client: gateway.postgres, logger: TestEnvironment.logger)
            try await outbox.insert(matching, onChain: true)
            try await outbox.insert(conflicting, onChain: true)
            try await eventually("both rows are resolved") {
                let states = try await gateway.accessRows().map(\.state)
                return states.count == 2 && !states.contains("pending") && !states.contains("submitted")
            }
            #expect(try await gateway.accessRow(matching.requestId.hex)?.state == "confirmed")
            #expect(try await Self.confirmation(of: matching.requestId, in: gateway)?.tx == earlier.transactionHash)
            #expect(try await gateway.accessRow(conflicting.requestId.hex)?.state == "rejected")
            #expect(try await gateway.metric("mdrs_log_entries_rejected_total", "outcome=\"denied\",reason=\"DuplicateRequest with another entry\"") == 1)
        }
    }

    struct Confirmation {
        let tx: Bytes32
        let logIndex: UInt64
        let commitment: Bytes32
    }

    static func confirmation(of requestId: Bytes32, in gateway: LiveGateway) async throws -> Confirmation? {
        let rows = try await gateway.postgres.query(
            "SELECT tx_hash, log_index, commitment FROM access_log WHERE request_id = \(ByteBuffer(bytes: requestId.bytes))",
            logger: TestEnvironment.logger)
        for try await (tx, logIndex, commitment) in rows.decode((ByteBuffer?, Int32?, ByteBuffer).self) {
            guard let tx, let logIndex else { return nil }
            return Confirmation(
                tx: try Bytes32(bytes: Array(tx.readableBytesView)), logIndex: UInt64(logIndex),
                commitment: try Bytes32(bytes: Array(commitment.readableBytesView)))
        }
        return nil
    }
}
