import AsyncHTTPClient
import Foundation
import Testing
extension ProcessFaultSuites {
    /// The database fails over: the primary dies under load, its synchronous hot standby is
    /// promoted and takes over the primary's address. The gateways reconnect by themselves, and
    /// nothing they acknowledged is lost.
    @Suite("Database fail-over")
    struct StandbyPromotionTests {
        @Test(
            "the primary crashes under load and its synchronous standby is promoted in its place: the gateways serve again without a restart, every acknowledged fetch is on-chain once",
            .timeLimit(.minutes(6)))
        func promotedStandbyTakesOver() async throws {
            let stack = try await DatabaseFaultTests.Stack.start(gateways: 2)
            let standby = try await PrivatePostgres(standbyOf: stack.postgres)
            // synchronous_commit on (the default) with a synchronous standby: a commit returns only
            // once the standby has flushed it, so what a gateway acknowledged survives the primary.
            try await stack.postgres.sql("ALTER SYSTEM SET synchronous_standby_names = '*'")
            try await stack.postgres.sql("SELECT pg_reload_conf()")
            try await eventually("the standby replicates synchronously", timeout: .seconds(30)) {
                try await stack.postgres.count("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") == 1
            }
            let load = stack.load(workers: 4)
            try await Task.sleep(for: .seconds(3))
            let address = stack.postgres.port
            try await stack.postgres.stopImmediately()
            let failed = ContinuousClock.now
            try await standby.promote()
            try await standby.restart(onPort: address)
            let promoted = ContinuousClock.now - failed
            let back = Date()
            let resumed = try await DatabaseFaultTests.resumed(stack, after: back, what: "the writer confirms a batch on the promoted standby")
            try await Task.sleep(for: .seconds(3))
            let tally = await load.stop()
            _ = try await DatabaseFaultTests.drained(stack, before: Date(), what: "the last rows are on-chain")
            print("database fail-over: the standby was promoted and in the primary's place \(promoted) after the crash; the writer wrote again \(resumed) after that; answers \(tally.statuses); slowest refusal \(tally.slowestRefusal)")
            #expect(tally.acknowledged.count > 20, "too few fetches were served to tell: \(tally.statuses)")
            let problems = try await stack.verify(acknowledged: tally.acknowledged)
            #expect(problems.isEmpty, "\(problems.prefix(20).joined(separator: "\n"))")
            #expect(tally.serverErrors.isEmpty, "\(tally.serverErrors.prefix(10))")
            for gateway in stack.gateways { #expect(await gateway.terminate() == 0, "SIGTERM after the fail-over") }
        }
    }
}
