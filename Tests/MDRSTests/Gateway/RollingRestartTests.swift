import AsyncHTTPClient
import EthereumCore
import Foundation
import MDRSClient
import MDRSProtocol
import NIOCore
import Testing
extension ProcessFaultSuites {
    /// Two replicas of one hospital behind nginx, restarted one after the other under a steady fetch
    /// load, as an upgrade in working hours: nothing acknowledged is lost, and a client of the proxy
    /// sees no refusal from the restarts.
    @Suite("Rolling restart")
    struct RollingRestartTests {
        @Test(
            "a rolling restart of two replicas behind nginx under load: every acknowledged fetch is on-chain once, no request fails",
            .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx")), .timeLimit(.minutes(6)))
        func rollingRestartUnderLoad() async throws {
            let stack = try await DatabaseFaultTests.Stack.start(gateways: 2)
            let proxy = try await ReverseProxy(upstreams: stack.gateways.map(\.baseURL))
            let load = FetchLoad(
                workers: 4, baseURLs: [proxy.baseURL], deployment: stack.deployment, token: stack.token,
                encryptedAddress: stack.stored.encryptedAddress, expected: stack.body)
            var restarts = [String]()
            try await Task.sleep(for: .seconds(2))
            for (index, gateway) in stack.gateways.enumerated() {
                let signalled = ContinuousClock.now
                gateway.signalTerminate()
                let status = await gateway.waitForExit(timeout: .seconds(40))
                let stopped = ContinuousClock.now - signalled
                #expect(status == 0, "replica \(index + 1) exited with \(status.map(String.init) ?? "nothing (still running)")")
                try await gateway.start()
                restarts.append("replica \(index + 1): stopped \(stopped) after SIGTERM, ready again \(ContinuousClock.now - signalled) after it")
                try await Task.sleep(for: .seconds(2))
            }
            let tally = await load.stop()
            _ = try await DatabaseFaultTests.drained(stack, before: Date(), what: "the last rows are on-chain")
            print("rolling restart through nginx: \(restarts.joined(separator: "; ")); answers \(tally.statuses)")
            #expect(tally.acknowledged.count > 20, "too few fetches were served to tell: \(tally.statuses)")
            let problems = try await stack.verify(acknowledged: tally.acknowledged)
            #expect(problems.isEmpty, "\(problems.prefix(20).joined(separator: "\n"))")
            #expect(tally.statuses.keys.allSatisfy { $0 == "200" }, "\(tally.statuses); nginx: \(proxy.errorLog.suffix(1500))")
            #expect(tally.serverErrors.isEmpty, "\(tally.serverErrors.prefix(10))")
        }
    }
}
