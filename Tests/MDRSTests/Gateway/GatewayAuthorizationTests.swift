import AsyncHTTPClient
import EthereumCore
import EthereumRPC
import Foundation
import HummingbirdTesting
import MDRSClient
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
    @Test("an off-boarded doctor is not served again on old grants when another hospital hires them", .timeLimit(.minutes(6)))
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

    @Test("another hospital cannot take over a served access's on-chain entry", .timeLimit(.minutes(6)))
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
            try await d.send(hospitalB, MedicalAccessContract.logAccess(firstSequence: 1, [squatter]))
            #expect(try await d.contract.logHead(of: hospitalB.address).sequence == 1)

            // A's row is confirmed with A's own entry: custodian A, A's commitment.
            try await eventually("A's access is confirmed") { try await gateway.accessRow(requestId.hex)?.state == "confirmed" }
            let row = try #require(try await Self.confirmation(of: requestId, in: gateway))
            let receipt = try #require(try await d.contract.client.transactionReceipt(row.tx))
            let log = try #require(receipt.logs.first { $0.logIndex == row.logIndex })
            let event = try #require(d.contract.decode(log))
            #expect(try event.value("custodian").asAddress() == d.hospital.address)
            #expect(try event.value("requestId").asBytes32() == requestId)
            #expect(try event.value("commitment").asBytes32() == row.commitment)
            #expect(try event.value("sequence").asUInt64() == row.sequence)
            #expect(try await d.contract.logHead(of: d.hospital.address).sequence >= row.sequence)
        }
    }

    @Test("entries already on-chain under the next numbers: the row's own entry is found, another writer's is skipped and reported", .timeLimit(.minutes(6)))
    func outOfSequenceResolution() async throws {
        let d = try await Deployment.make()
        // Two denials of the hospital's doctor, as the gateway would log them.
        func denial() -> AccessRecord {
            AccessRecord(
                requestId: Bytes32.random(), token: Bytes32.random(), recordId: Bytes32.random(), staff: d.doctor.address, patient: nil,
                custodian: d.hospital.address, purpose: 1, outcome: .grantUnknown, reason: "grant_not_found",
                accessedAt: UInt64(Date().timeIntervalSince1970), rangeStart: nil, rangeEnd: nil, signatureHash: Bytes32.random())
        }
        let matching = denial(), conflicting = denial()
        // Numbers 1 and 2 are on-chain already under this custodian's key: 1 is the first row's
        // entry (a batch whose receipt the writer never saw), 2 another writer's entry.
        let forged = AccessEntry(
            requestId: Bytes32.random(), token: conflicting.token, recordId: conflicting.recordId, staff: conflicting.staff,
            purpose: conflicting.purpose, outcome: conflicting.outcome.rawValue, accessedAt: conflicting.accessedAt,
            commitment: Bytes32.random())
        let earlier = try await d.send(d.hospital, MedicalAccessContract.logAccess(firstSequence: 1, [matching.entry, forged]))

        try await LiveGateway.run(deployment: d) { gateway in
            let outbox = OutboxStore(client: gateway.postgres, logger: TestEnvironment.logger)
            try await outbox.insert(matching, onChain: true)
            try await outbox.insert(conflicting, onChain: true)
            try await eventually("both rows are confirmed") {
                try await gateway.accessRows().map(\.state) == ["confirmed", "confirmed"]
            }
            // The first row is number 1, found where it landed; the second is logged again, after
            // the number the other entry took.
            let first = try #require(try await Self.confirmation(of: matching.requestId, in: gateway))
            #expect(first.tx == earlier.transactionHash && first.sequence == 1)
            let second = try #require(try await Self.confirmation(of: conflicting.requestId, in: gateway))
            #expect(second.tx != earlier.transactionHash && second.sequence == 3)
            #expect(try await d.contract.logHead(of: d.hospital.address).sequence == 3)
            #expect(try await gateway.metric("mdrs_log_entries_rejected_total", "outcome=\"denied\",reason=\"ForeignEntry\"") == 1)

            // The auditor's check: the chain's number 2 has no row here, and the numbers are complete.
            let auditor = try await gateway.client(d.auditor)
            let report = try await Self.check(auditor, until: { $0.sequence.lastOnChain == 3 })
            #expect(report.sequence == LogSequenceReport(lastOnChain: 3, indexedEntries: 3, complete: true, missingNumbers: 0, gaps: []))
            #expect(report.unknownHere == [forged.requestId.hex] && !report.consistent)
        }
    }

    @Test("a request id logged twice on-chain is a repeat the check names, not a gap", .timeLimit(.minutes(6)))
    func repeatedRequestId() async throws {
        let d = try await Deployment.make()
        // Another writer with the custodian's key logs one request under numbers 1 and 3.
        func entry() -> AccessEntry {
            AccessEntry(
                requestId: Bytes32.random(), token: Bytes32.random(), recordId: Bytes32.random(), staff: d.doctor.address, purpose: 1,
                outcome: AccessOutcome.grantUnknown.rawValue, accessedAt: UInt64(Date().timeIntervalSince1970), commitment: Bytes32.random())
        }
        let (twice, once) = (entry(), entry())
        _ = try await d.send(d.hospital, MedicalAccessContract.logAccess(firstSequence: 1, [twice, once, twice]))

        try await LiveGateway.run(deployment: d) { gateway in
            let auditor = try await gateway.client(d.auditor)
            let report = try await Self.check(auditor, until: { $0.sequence.lastOnChain == 3 })
            #expect(report.sequence == LogSequenceReport(
                lastOnChain: 3, indexedEntries: 3, complete: true, missingNumbers: 0, gaps: [], repeatedNumbers: 1,
                repeats: [.init(sequence: 3, repeats: 1, requestId: twice.requestId.hex)]), "\(report.sequence)")
            #expect(!report.consistent && Set(report.unknownHere) == [twice.requestId.hex, once.requestId.hex], "\(report)")
            // The index lists the request once, as first logged.
            var numbers = [Int64]()
            for try await number in try await gateway.postgres.query(
                "SELECT sequence FROM chain_accesses WHERE request_id = \(ByteBuffer(bytes: twice.requestId.bytes))", logger: TestEnvironment.logger
            ).decode(Int64.self) { numbers.append(number) }
            #expect(numbers == [1])
        }
    }

    @Test("a crash between numbering a batch and sending it: the same numbers are sent after restart, none skipped or doubled", .timeLimit(.minutes(6)))
    func crashAfterNumbering() async throws {
        let d = try await Deployment.make()
        @Sendable func denial() -> AccessRecord {
            AccessRecord(
                requestId: Bytes32.random(), token: Bytes32.random(), recordId: Bytes32.random(), staff: d.doctor.address, patient: nil,
                custodian: d.hospital.address, purpose: 1, outcome: .grantUnknown, reason: "grant_not_found",
                accessedAt: UInt64(Date().timeIntervalSince1970), rangeStart: nil, rangeEnd: nil, signatureHash: Bytes32.random())
        }
        let rows = [denial(), denial(), denial()]
        let client = d.contract.client
        let signed = try await FeeQuote.suggest(using: client).transaction(
            chainId: d.chainId, nonce: try await client.transactionCount(of: d.hospital.address, at: .latest), gasLimit: 1_000_000,
            to: d.contract.address, data: try MedicalAccessContract.logAccess(firstSequence: 1, rows.map(\.entry))
        ).signed(with: d.hospital)
        // What the writer leaves behind when it dies right after createBatch commits: the rows
        // numbered 1...3 and claimed, the signed transaction recorded, nothing sent.
        try await LiveGateway.run(deployment: d, prepare: { postgres in
            let outbox = OutboxStore(client: postgres, logger: TestEnvironment.logger)
            for row in rows { try await outbox.insert(row, onChain: true) }
            #expect(try await outbox.nextSequence(signer: d.hospital.address) == 1)
            // It wrote as the holder of the writer's lease, which died with it.
            #expect(try await outbox.takeLease(for: .seconds(15), holderIsGone: true) != nil)
            _ = try await outbox.createBatch(
                signer: d.hospital.address, transaction: signed, anchors: [], entries: rows.map(\.requestId), firstSequence: 1)
            #expect(try await outbox.nextSequence(signer: d.hospital.address) == 4)
        }) { gateway in
            // The gateway starts on that database and resumes the open batch.
            try await eventually("the batch is confirmed") { try await gateway.accessRows().allSatisfy { $0.state == "confirmed" } }
            for (offset, row) in rows.enumerated() {
                let confirmation = try #require(try await Self.confirmation(of: row.requestId, in: gateway))
                #expect(confirmation.tx == signed.hash && confirmation.sequence == UInt64(offset + 1))
            }
            #expect(try await d.contract.logHead(of: d.hospital.address).sequence == 3)
            // A later access follows at number 4.
            let outbox = OutboxStore(client: gateway.postgres, logger: TestEnvironment.logger)
            try await outbox.insert(denial(), onChain: true)
            try await eventually("the next row is confirmed") {
                let states = try await gateway.accessRows().map(\.state)
                return states.count == 4 && states.allSatisfy { $0 == "confirmed" }
            }
            #expect(try await d.contract.logHead(of: d.hospital.address).sequence == 4)
        }
    }

    struct Confirmation {
        let tx: Bytes32
        let logIndex: UInt64
        let commitment: Bytes32
        let sequence: UInt64
    }

    /// The auditor's check, asked again while `condition` does not hold: a check whose catch-up
    /// failed (the whole suite on two cores) answers from what the index holds and says how far
    /// that goes, and the next one reads on.
    static func check(_ auditor: GatewayClient, until condition: (ConsistencyReport) -> Bool) async throws -> ConsistencyReport {
        var report: ConsistencyReport?
        try await eventually("the audit index has read the entries") {
            let answer = try JSONDecoder().decode(ConsistencyReport.self, from: try await auditor.audit("/v1/audit/check"))
            report = answer
            return condition(answer)
        }
        return try #require(report)
    }

    static func confirmation(of requestId: Bytes32, in gateway: LiveGateway) async throws -> Confirmation? {
        let rows = try await gateway.postgres.query(
            "SELECT tx_hash, log_index, commitment, sequence FROM access_log WHERE request_id = \(ByteBuffer(bytes: requestId.bytes))",
            logger: TestEnvironment.logger)
        for try await (tx, logIndex, commitment, sequence) in rows.decode((ByteBuffer?, Int32?, ByteBuffer, Int64?).self) {
            guard let tx, let logIndex else { return nil }
            return Confirmation(
                tx: try Bytes32(bytes: Array(tx.readableBytesView)), logIndex: UInt64(logIndex),
                commitment: try Bytes32(bytes: Array(commitment.readableBytesView)), sequence: UInt64(sequence ?? 0))
        }
        return nil
    }
}
