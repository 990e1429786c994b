import AsyncHTTPClient
import Foundation
import MDRSClient
import MDRSProtocol
import Testing
extension ProcessFaultSuites {
    /// A disaster recovery: the database restored from a base backup and its WAL archive to a point
    /// before accesses the chain already holds.
    @Suite("Backup and restore")
    struct BackupRestoreTests {
        @Test(
            "restored to a point before accesses already on-chain: the gateway recognises its own entries on the chain, neither sends them again nor leaves a gap, and the audit check lists them as lost in the restore",
            .timeLimit(.minutes(6)))
        func restoreToEarlierPoint() async throws {
            let stack = try await DatabaseFaultTests.Stack.start(gateways: 1)
            let gateway = stack.gateways[0]
            try await stack.postgres.enableArchiving()
            let backup = try await stack.postgres.baseBackup()

            // Accesses the restore keeps, then the restore point, then accesses it loses: every one
            // of them on-chain before the disaster.
            let kept = try await served(stack, for: .seconds(3))
            try await stack.postgres.sql("SELECT pg_create_restore_point('before-the-loss')")
            try await stack.postgres.archiveCurrentWAL()
            let lost = try await served(stack, for: .seconds(3))
            #expect(!kept.isEmpty && !lost.isEmpty, "kept \(kept.count), lost \(lost.count)")

            await gateway.crash()
            try await stack.postgres.restore(from: backup, toRestorePoint: "before-the-loss")
            let restoredRows = Set(try await stack.rows().keys)
            #expect(Set(kept).isSubset(of: restoredRows), "an access from before the restore point is missing after the restore")
            #expect(Set(lost).isDisjoint(with: restoredRows), "an access from after the restore point survived the restore")

            try await gateway.start()
            let after = try await served(stack, for: .seconds(3))
            let problems = try await stack.verify(acknowledged: kept + after)
            #expect(problems.isEmpty, "\(problems.prefix(20).joined(separator: "\n"))")
            // The lost accesses are on-chain once each (verify checked the numbering has no gap),
            // and the gateway said what they are: its own, lost with the restore.
            var onChain = [String: Int]()
            for entry in try await stack.onChainEntries() { onChain[entry.requestId, default: 0] += 1 }
            for id in lost { #expect(onChain[id] == 1, "lost access \(id) is on-chain \(onChain[id] ?? 0) times") }
            #expect(gateway.log.contains("restored from a backup, or a promoted standby"), "the gateway did not notice the restore")
            #expect(gateway.log.contains("lost from the database with its restore"), "the gateway did not recognise its lost entries")

            let auditor = try await GatewayClient(baseURL: gateway.baseURL, key: stack.deployment.auditor, httpClient: HTTPClient.shared)
            var report: ConsistencyReport?
            try await eventually("the audit check has read every entry", timeout: .seconds(60)) {
                let answer = try JSONDecoder().decode(ConsistencyReport.self, from: try await auditor.audit("/v1/audit/check"))
                report = answer
                return answer.onChainEntries == onChain.count && answer.counts.waiting == 0
            }
            let check = try #require(report)
            print("restore to an earlier point: \(kept.count) accesses kept, \(lost.count) lost with the restore (on-chain), \(after.count) after; the check: lost in the restore \(check.counts.lostInRestore), unknown here \(check.counts.unknownHere), consistent \(check.consistent)")
            #expect(Set(check.lostInRestore) == Set(lost), "the check's lost entries are not the accesses after the restore point")
            #expect(check.unknownHere.isEmpty, "\(check.unknownHere)")
            #expect(check.databaseRestoredAt != nil)
            #expect(check.sequence.complete && check.sequence.repeatedNumbers == 0)
            #expect(check.consistent, "\(check.counts)")
            #expect(await gateway.terminate() == 0)
        }

        /// Fetches under load for `duration`, then waits until every one is on-chain; the request
        /// ids served.
        private func served(_ stack: DatabaseFaultTests.Stack, for duration: Duration) async throws -> [String] {
            let load = stack.load(workers: 2)
            try await Task.sleep(for: duration)
            let tally = await load.stop()
            _ = try await DatabaseFaultTests.drained(stack, before: Date(), what: "the accesses are on-chain")
            return tally.acknowledged
        }
    }
}
