import EthereumCore
import EthereumRPC
import Foundation
import HTTPTypes
import MDRSClient
import MDRSProtocol
import NIOCore
import PostgresNIO
import Testing

/// The audit log at scale: the gateway's index of the chain's entries, pages, the incremental
/// check, and a reorganisation on a real dev chain.
@Suite("Audit index")
struct AuditIndexTests {
    /// `count` served fetches of one record by the doctor; their request ids.
    static func fetches(_ count: Int, of stored: StoreResponse, token: Bytes32, via gateway: LiveGateway) async throws -> [String] {
        var ids = [String]()
        for _ in 0..<count {
            let response = try await GatewayRefusalTests.send(
                FetchRequestBuilder(deployment: gateway.deployment, key: gateway.deployment.doctor, token: token, encryptedAddress: stored.encryptedAddress),
                via: gateway)
            #expect(response.status == .ok)
            ids.append(try #require(response.headers[HTTPField.Name(SignedRequest.Header.requestId)!]))
        }
        return ids
    }

    static func report(_ auditor: GatewayClient, _ target: String) async throws -> AuditReport {
        try JSONDecoder().decode(AuditReport.self, from: try await auditor.audit(target))
    }

    static func check(_ auditor: GatewayClient, restart: Bool = false) async throws -> ConsistencyReport {
        try JSONDecoder().decode(ConsistencyReport.self, from: try await auditor.audit("/v1/audit/check" + (restart ? "?restart=true" : "")))
    }

    @Test("pages return every entry exactly once while new accesses arrive", .timeLimit(.minutes(6)))
    func pagingWhileAccessesArrive() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let stored = try await gateway.store(Array("paged".utf8), contentType: "text/plain")
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)
            let before = try await Self.fetches(12, of: stored, token: token, via: gateway)
            let auditor = try await gateway.client(d.auditor)

            var seen = [String]()
            var after: String?
            var arrived = [String]()
            repeat {
                let page = try await Self.report(auditor, "/v1/audit/accesses?limit=5" + (after.map { "&after=\($0)" } ?? ""))
                #expect(page.entries.count <= 5)
                seen += page.entries.map(\.requestId)
                after = page.next
                // New accesses between pages: they come after every key already read.
                if arrived.count < 6 { arrived += try await Self.fetches(2, of: stored, token: token, via: gateway) }
            } while after != nil
            #expect(Set(seen).count == seen.count, "an entry was listed twice")
            #expect(Set(before).isSubset(of: Set(seen)), "an entry that existed before paging was skipped")
            #expect(Set(seen).isSubset(of: Set(before + arrived)))
            // In key order, as one page of everything has them. (An access that arrived in the
            // same second as a key already read may sort before it: paging does not owe it.)
            let all = try await Self.report(auditor, "/v1/audit/accesses?limit=1000")
            #expect(all.next == nil)
            let seenSet = Set(seen)
            #expect(all.entries.map(\.requestId).filter(seenSet.contains) == seen)

            // Filters narrow the page; a staff member with no accesses has none.
            let served = try await Self.report(auditor, "/v1/audit/accesses?outcome=1&staff=\(d.doctor.address.checksummed)&limit=1000")
            #expect(served.entries.count == all.entries.count)
            #expect(try await Self.report(auditor, "/v1/audit/accesses?staff=\(d.doctor2.address.checksummed)").entries.isEmpty)
            #expect(try await Self.report(auditor, "/v1/audit/accesses?purpose=\(PurposeOfUse.research.rawValue)").entries.isEmpty)
            let last = try #require(all.entries.last)
            let late = try await Self.report(auditor, "/v1/audit/accesses?from=\(last.accessedAt)&limit=1000")
            #expect(late.entries.allSatisfy { $0.accessedAt >= last.accessedAt } && late.entries.contains { $0.requestId == last.requestId })

            // Once on-chain, every entry is joined with its index entry.
            try await eventually("every access is confirmed") { try await gateway.accessRows().allSatisfy { $0.state == "confirmed" } }
            let joined = try await Self.report(auditor, "/v1/audit/accesses?limit=1000")
            #expect(joined.entries.count == all.entries.count)
            #expect(joined.entries.allSatisfy { $0.onChain != nil && $0.local?.commitmentValid == true })
            #expect(joined.indexedThroughBlock >= Int64(try #require(joined.entries.compactMap(\.onChain?.blockNumber).max())))
        }
    }

    @Test("the check is incremental, remembers what it found, and a restart finds a row altered later", .timeLimit(.minutes(6)))
    func incrementalCheck() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let stored = try await gateway.store(Array("checked".utf8), contentType: "text/plain")
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)
            let ids = try await Self.fetches(3, of: stored, token: token, via: gateway)
            try await eventually("the accesses are confirmed") { try await gateway.accessRows().allSatisfy { $0.state == "confirmed" } }
            let auditor = try await gateway.client(d.auditor)

            let first = try await Self.check(auditor)
            // The gateway's own background check (every 10 s as the index reads blocks) may have
            // checked some of them first: this check checks the rest.
            #expect(first.consistent && (0...3).contains(first.checkedEntries) && first.onChainEntries == 3, "\(first)")
            #expect(first.sequence == LogSequenceReport(lastOnChain: 3, indexedEntries: 3, complete: true, missingNumbers: 0, gaps: []))
            let again = try await Self.check(auditor)
            #expect(again.consistent && again.checkedEntries == 0, "nothing new: \(again)")

            // A row altered after it was checked: the incremental check has passed it; a restart
            // names it.
            try await gateway.postgres.query(
                "UPDATE access_log SET range_start = 0 WHERE request_id = \(ByteBuffer(bytes: try Bytes32(ids[1]).bytes))", logger: TestEnvironment.logger)
            #expect(try await Self.check(auditor).consistent)
            let restarted = try await Self.check(auditor, restart: true)
            #expect(!restarted.consistent && restarted.commitmentMismatch == [ids[1]] && restarted.counts.commitmentMismatch == 1, "\(restarted)")
            // The finding is kept by later incremental checks.
            #expect(try await Self.check(auditor).commitmentMismatch == [ids[1]])

            // An entry the index lost: the rows say confirmed, the chain (as indexed) does not.
            for table in ["chain_accesses", "chain_access_numbers"] {
                try await gateway.postgres.query(
                    "DELETE FROM \(unescaped: table) WHERE request_id = \(ByteBuffer(bytes: try Bytes32(ids[2]).bytes))", logger: TestEnvironment.logger)
            }
            let missing = try await Self.check(auditor, restart: true)
            #expect(missing.missingOnChain == [ids[2]] && missing.commitmentMismatch == [ids[1]], "\(missing)")
            // ...and its number is a gap in the custodian's log, which the check names (an entry
            // a node hid from the index looks the same).
            var number: Int64?
            for try await value in try await gateway.postgres.query(
                "SELECT sequence FROM access_log WHERE request_id = \(ByteBuffer(bytes: try Bytes32(ids[2]).bytes))", logger: TestEnvironment.logger
            ).decode(Int64.self) { number = value }
            let gap = UInt64(try #require(number))
            #expect(missing.sequence == LogSequenceReport(
                lastOnChain: 3, indexedEntries: 2, complete: false, missingNumbers: 1, gaps: [.init(from: gap, through: gap)]), "\(missing.sequence)")
        }
    }

    @Test("a reorganisation of the dev chain is repaired: the entries move to their new blocks", .timeLimit(.minutes(6)))
    func reorganisation() async throws {
        let chain = try await PrivateChain()
        let deployment = try await Deployment.make(rpcURL: chain.url)
        try await LiveGateway.run(deployment: deployment) { gateway in
            let stored = try await gateway.store(Array("reorganised".utf8), contentType: "text/plain")
            let token = try await deployment.grant(try Bytes32(stored.recordId), to: deployment.doctor)
            let ids = try await Self.fetches(2, of: stored, token: token, via: gateway)
            try await eventually("the accesses are confirmed") { try await gateway.accessRows().allSatisfy { $0.state == "confirmed" } }
            let auditor = try await gateway.client(deployment.auditor)
            let before = try await Self.report(auditor, "/v1/audit/accesses")
            #expect(before.entries.count == 2 && before.entries.allSatisfy { $0.onChain != nil })
            #expect(try await Self.check(auditor).consistent)

            // Replace every block from the first entry's on: the same transactions land later.
            let firstBlock = try #require(before.entries.compactMap(\.onChain?.blockNumber).min())
            let head = try await chain.client.blockNumber()
            try await chain.call("dev_reorg", [.string("0x" + String(head - firstBlock + 1, radix: 16))])

            try await eventually("the index holds the entries at their new blocks", timeout: .seconds(60)) {
                let after = try await Self.report(auditor, "/v1/audit/accesses")
                guard after.entries.count == 2 else { return false }
                for entry in after.entries {
                    // Between the rewind and the new read an entry may have no chain side yet.
                    guard let onChain = entry.onChain else { return false }
                    let receipt = try await chain.client.transactionReceipt(try Bytes32(onChain.transactionHash))
                    guard let receipt, receipt.blockNumber == onChain.blockNumber else { return false }
                }
                return true
            }
            let after = try await Self.report(auditor, "/v1/audit/accesses")
            #expect(Set(after.entries.map(\.requestId)) == Set(ids))
            let rows = try await gateway.postgres.query("SELECT count(*) FROM chain_accesses", logger: TestEnvironment.logger)
            for try await count in rows.decode(Int64.self) { #expect(count == 2, "no entry kept twice") }
            let check = try await Self.check(auditor)
            #expect(check.consistent && check.onChainEntries == 2, "\(check)")
        }
    }
}
