import EthereumCore
import Foundation
import MDRSChain
@testable import MDRSCore
import MDRSProtocol
import Testing

/// The outbox sends batches after a confirmed one without simulating them, with a computed gas
/// limit: it must cover what the contract really uses, for anchors and entries, worst cases
/// included (128-byte encrypted addresses, a patient's first record, cold slots).
@Suite("Outbox gas bound")
struct OutboxGasBoundTests {
    @Test("the computed bound covers one and many anchors, and entries, as the contract measures them", .timeLimit(.minutes(6)))
    func boundCoversMeasured() async throws {
        let d = try await Deployment.make()
        func anchor() -> RecordAnchorInput {
            // A new patient each time: the first record of a patient costs the most.
            RecordAnchorInput(
                recordId: Bytes32.random(), patient: PrivateKey.random().address, contentHash: Bytes32.random(),
                encryptedAddress: (0..<128).map { _ in UInt8.random(in: 1...255) })
        }
        var measured = [String]()
        for count in [1, 2, 8] {
            let receipt = try await d.send(
                d.hospital, try MedicalAccessContract.publish(anchors: (0..<count).map { _ in anchor() }, firstSequence: 1, entries: []))
            #expect(receipt.succeeded)
            let bound = OutboxBatchRules.gasBound(.init(entries: 0, anchors: count))
            measured.append("\(count) anchor(s): \(receipt.gasUsed) used, bound \(bound)")
            #expect(bound >= receipt.gasUsed, "\(count) anchor(s): \(receipt.gasUsed) used, bound \(bound)")
        }
        // Denials of this hospital's staff about records no one anchored: every slot read cold.
        for count in [1, 100] {
            let entries = (0..<count).map { _ in
                AccessEntry(
                    requestId: Bytes32.random(), token: Bytes32.random(), recordId: Bytes32.random(), staff: d.doctor.address,
                    purpose: 1, outcome: AccessOutcome.grantUnknown.rawValue, accessedAt: UInt64(Date().timeIntervalSince1970),
                    commitment: Bytes32.random())
            }
            let head = try await d.contract.logHead(of: d.hospital.address).sequence
            let receipt = try await d.send(d.hospital, try MedicalAccessContract.logAccess(firstSequence: head + 1, entries))
            #expect(receipt.succeeded)
            let bound = OutboxBatchRules.gasBound(.init(entries: count, anchors: 0))
            measured.append("\(count) entries: \(receipt.gasUsed) used, bound \(bound)")
            #expect(bound >= receipt.gasUsed, "\(count) entries: \(receipt.gasUsed) used, bound \(bound)")
        }
        print("gas: " + measured.joined(separator: "; "))
    }

    @Test("right after start, a one-anchor batch and then a many-anchor one land without running out of gas", .timeLimit(.minutes(6)))
    func anchorsAfterStart() async throws {
        try await LiveGateway.run { gateway in
            _ = try await gateway.store(Array("first".utf8), contentType: "text/plain")
            // The second batch follows a confirmed one: it is sent with the computed bound.
            _ = try await gateway.store(Array("second".utf8), contentType: "text/plain")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<6 { group.addTask { _ = try await gateway.store(Array("many \(index)".utf8), contentType: "text/plain") } }
                try await group.waitForAll()
            }
            #expect(try await gateway.metric("mdrs_log_transactions_total", "event=\"reverted\"") == 0)
        }
    }
}
