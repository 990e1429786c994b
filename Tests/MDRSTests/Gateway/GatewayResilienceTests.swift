import AsyncHTTPClient
import EthereumCore
import EthereumRPC
import Foundation
import HummingbirdTesting
import MDRSChain
import MDRSClient
import MDRSProtocol
import MDRSServer
import NIOCore
import PostgresNIO
import Testing

/// Failing closed, strict mode, a stalled outbox, and crashes: each on a private dev chain that
/// the test can stop or kill.
@Suite("Gateway resilience")
struct GatewayResilienceTests {
    @Test("chain down: fetches and stores are refused with 503 and nothing is served", .timeLimit(.minutes(6)))
    func chainDown() async throws {
        let chain = try await PrivateChain()
        let deployment = try await Deployment.make(rpcURL: chain.url)
        try await LiveGateway.run(deployment: deployment) { gateway in
            let stored = try await gateway.store(Array("before the outage".utf8), contentType: "text/plain")
            let token = try await deployment.grant(try Bytes32(stored.recordId), to: deployment.doctor)
            let doctor = try await gateway.client(deployment.doctor)
            let ok = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            #expect(ok.status == .ok)
            _ = try await ok.body.collect(upTo: 1 << 20)

            await chain.kill()
            try await eventually("readiness reports the chain down") {
                try await gateway.client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil).status == .serviceUnavailable
            }
            let refused = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers.first(name: "Retry-After") != nil)
            let body = String(buffer: try await refused.body.collect(upTo: 1 << 16))
            #expect(body.contains("chain_unavailable") && !body.contains("before the outage"))
            let clerk = try await gateway.client(deployment.clerk)
            do {
                _ = try await clerk.store(body: .bytes(ByteBuffer(string: "x")), sha256: Bytes32.sha256(Array("x".utf8)), patient: deployment.patient.address, contentType: "text/plain")
                Issue.record("a record was stored while the chain was down")
            } catch let error as GatewayClientError {
                #expect(error.status == 503)
            }
        }
    }

    @Test(
        "a node that is killed, or stops answering: nothing is served from chain.head_staleness_ms after its last answer",
        .timeLimit(.minutes(6)), arguments: ["killed", "frozen"])
    func nodeFailureBound(_ failure: String) async throws {
        let chain = try await PrivateChain()
        let deployment = try await Deployment.make(rpcURL: chain.url)
        let bound = Duration.seconds(2)
        try await LiveGateway.run(deployment: deployment, adjust: { $0.chain.headStaleness = bound }) { gateway in
            let stored = try await gateway.store(Array("read while the node fails".utf8), contentType: "text/plain")
            let token = try await deployment.grant(try Bytes32(stored.recordId), to: deployment.doctor)
            let doctor = try await gateway.client(deployment.doctor)
            let first = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            #expect(first.status == .ok)
            _ = try await first.body.collect(upTo: 1 << 20)

            let failed = ContinuousClock.now
            if failure == "killed" { await chain.kill() } else { kill(chain.process.processIdentifier, SIGSTOP) }
            defer { if failure == "frozen" { kill(chain.process.processIdentifier, SIGCONT) } }
            // Times are taken when each request is sent: under the whole suite's load a round
            // trip can take seconds, and the promise is about what the gateway decided, not
            // about when the answer arrived.
            var refusedAfter: Duration?
            var lastServed = Duration.zero
            while refusedAfter == nil, ContinuousClock.now - failed < .seconds(30) {
                let sent = ContinuousClock.now - failed
                let response = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
                let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
                if response.status == .serviceUnavailable {
                    #expect(body.contains("chain_unavailable"), "\(body)")
                    refusedAfter = sent
                } else {
                    #expect(response.status == .ok, "\(body)")
                    lastServed = sent
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            let after = try #require(refusedAfter, "still served 30 s after the node \(failure)")
            print("node \(failure): the first refused fetch was sent \(after) after, the last served one \(lastServed) after (bound \(bound) since the last good poll)")
            // The last good poll was at most one poll interval (100 ms here) before the failure;
            // the margin is for a machine loaded by the whole suite (the figures are printed).
            #expect(lastServed <= bound + .seconds(1), "served a fetch sent \(lastServed) after the node \(failure)")
            #expect(after <= bound + .seconds(3), "still serving \(after) after the node \(failure)")
        }
    }

    @Test("a restarted gateway with a stalled log refuses from its first request", .timeLimit(.minutes(6)))
    func restartWithStalledLog() async throws {
        let chain = try await PrivateChain()
        let deployment = try await Deployment.make(rpcURL: chain.url)
        try await TestEnvironment.withDatabase { postgres, database in
            let process = try GatewayProcess(deployment: deployment, database: database, settings: ["outbox.stall_seconds": "2"])
            try await process.start()
            let clerk = try await GatewayClient(baseURL: process.baseURL, key: deployment.clerk, httpClient: HTTPClient.shared)
            let body = Array("stalled".utf8)
            let stored = try await clerk.store(
                body: .bytes(ByteBuffer(bytes: body)), sha256: Bytes32.sha256(body), patient: deployment.patient.address, contentType: "text/plain")
            try await eventually("the anchor is on-chain") { try await deployment.contract.record(try Bytes32(stored.recordId)) != nil }
            let token = try await deployment.grant(try Bytes32(stored.recordId), to: deployment.doctor)
            let doctor = try await GatewayClient(baseURL: process.baseURL, key: deployment.doctor, httpClient: HTTPClient.shared)
            try await chain.stopMining()
            for _ in 0..<2 {
                let response = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
                #expect(response.status == .ok)
                _ = try await response.body.collect(upTo: 1 << 16)
            }
            try await Task.sleep(for: .seconds(3))
            await process.crash()
            try await process.start(waitUntilReady: false)
            // The first answers of the new process: not ready, and the fetch refused as stalled.
            let ready = try await HTTPClient.shared.execute(HTTPClientRequest(url: process.baseURL + "/health/ready"), timeout: .seconds(10))
            _ = try await ready.body.collect(upTo: 1 << 16)
            #expect(ready.status == .serviceUnavailable)
            let refused = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            let text = String(buffer: try await refused.body.collect(upTo: 1 << 16))
            #expect(refused.status == .serviceUnavailable && text.contains("audit_log_stalled"), "\(refused.status): \(text)")
            try await chain.startMining()
            try await eventually("fetches are served again", timeout: .seconds(60)) {
                let again = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
                _ = try await again.body.collect(upTo: 1 << 16)
                return again.status == .ok
            }
            #expect(await process.terminate() == 0)
        }
    }

    @Test("strict mode: nothing leaves before the access is on-chain", .timeLimit(.minutes(6)))
    func strictMode() async throws {
        let chain = try await PrivateChain()
        let deployment = try await Deployment.make(rpcURL: chain.url)
        try await LiveGateway.run(deployment: deployment, strict: true) { gateway in
            let stored = try await gateway.store(Array("strict record".utf8), contentType: "text/plain")
            let token = try await deployment.grant(try Bytes32(stored.recordId), to: deployment.doctor)
            let doctor = try await gateway.client(deployment.doctor)

            try await chain.stopMining()
            let unconfirmed = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            #expect(unconfirmed.status == .serviceUnavailable)
            let body = String(buffer: try await unconfirmed.body.collect(upTo: 1 << 16))
            #expect(body.contains("audit_log_unconfirmed") && !body.contains("strict record"))

            try await chain.startMining()
            let served = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            let requestId = try #require(served.headers.first(name: SignedRequest.Header.requestId))
            // The head of the response arrived: the row must already be confirmed.
            let state = try await gateway.accessRow(requestId)?.state
            let servedBody = String(buffer: try await served.body.collect(upTo: 1 << 16))
            #expect(served.status == .ok, "strict fetch: \(servedBody)")
            if served.status == .ok {
                #expect(state == "confirmed")
                #expect(servedBody == "strict record")
            }
        }
    }

    @Test("a stalled outbox refuses new fetches until it catches up", .timeLimit(.minutes(6)))
    func stalledOutbox() async throws {
        let chain = try await PrivateChain()
        let deployment = try await Deployment.make(rpcURL: chain.url)
        let clock = SteppingClock()
        try await LiveGateway.run(deployment: deployment, clock: clock, adjust: { $0.outbox.stallBound = .seconds(1) }) { gateway in
            let stored = try await gateway.store(Array("record".utf8), contentType: "text/plain")
            let token = try await deployment.grant(try Bytes32(stored.recordId), to: deployment.doctor)
            let doctor = try await gateway.client(deployment.doctor)
            try await chain.stopMining()
            let first = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            #expect(first.status == .ok)
            _ = try await first.body.collect(upTo: 1 << 16)
            clock.advance(by: .milliseconds(1500))
            let stalled = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            #expect(stalled.status == .serviceUnavailable)
            #expect(String(buffer: try await stalled.body.collect(upTo: 1 << 16)).contains("audit_log_stalled"))
            try await chain.startMining()
            try await eventually("fetches are served again") {
                let again = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
                _ = try await again.body.collect(upTo: 1 << 16)
                return again.status == .ok
            }
        }
    }

    @Test("a served access not on-chain past the stall bound makes the audit check inconsistent, naming it", .timeLimit(.minutes(6)))
    func overdueReleaseInCheck() async throws {
        let chain = try await PrivateChain()
        let deployment = try await Deployment.make(rpcURL: chain.url)
        let clock = SteppingClock()
        try await LiveGateway.run(deployment: deployment, clock: clock, adjust: { $0.outbox.stallBound = .seconds(30) }) { gateway in
            let stored = try await gateway.store(Array("waiting for the chain".utf8), contentType: "text/plain")
            let token = try await deployment.grant(try Bytes32(stored.recordId), to: deployment.doctor)
            let doctor = try await gateway.client(deployment.doctor)
            let auditor = try await gateway.client(deployment.auditor)
            try await chain.stopMining()
            let served = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            #expect(served.status == .ok)
            let requestId = try #require(served.headers.first(name: SignedRequest.Header.requestId))
            _ = try await served.body.collect(upTo: 1 << 16)
            // Within the bound the access is only waiting; past it, overdue: the record left and
            // the chain does not account for it yet.
            let waiting = try await AuditIndexTests.check(auditor)
            #expect(waiting.consistent && waiting.waiting.contains(requestId) && waiting.overdue.isEmpty, "\(waiting)")
            clock.advance(by: .seconds(31))
            let overdue = try await AuditIndexTests.check(auditor)
            #expect(!overdue.consistent && overdue.overdue == [requestId] && overdue.counts.overdue == 1, "\(overdue)")
            try await chain.startMining()
            try await eventually("the access is on-chain") { try await gateway.accessRow(requestId)?.state == "confirmed" }
            #expect(try await AuditIndexTests.check(auditor).consistent)
        }
    }

    @Test("two gateway processes on one database: both serve, one writes the log, neither reports a stall", .timeLimit(.minutes(6)))
    func twoGatewaysOneDatabase() async throws {
        // A stall bound the test outlasts (sixteen rounds of 2 s and their fetches) but that the
        // writer meets on a loaded machine, where the shared dev chain takes a batch in 10 s.
        try await LiveGateway.run(adjust: { $0.outbox.stallBound = .seconds(25) }) { first in
            let d = first.deployment
            let stored = try await first.store(Array("shared database".utf8), contentType: "text/plain")
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)
            var configuration = try d.configuration(database: first.database)
            configuration.outbox.stallBound = .seconds(25)
            let app = try await buildApplication(configuration, logger: TestEnvironment.logger)
            try await app.test(.live) { client in
                let second = LiveGateway(
                    deployment: d, baseURL: "http://127.0.0.1:\(try #require(client.port))", client: client, database: first.database,
                    postgres: first.postgres)
                try await second.waitUntilReady()
                let builder = { FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: stored.encryptedAddress) }
                // Rows from the second process are logged by the first one's writer; the second
                // sees its backlog drain although it never holds the writer lock.
                for round in 0..<16 {
                    for gateway in [first, second] {
                        let response = try await GatewayRefusalTests.send(builder(), via: gateway)
                        #expect(response.status == .ok, "round \(round) at \(gateway.baseURL): \(String(buffer: response.body))")
                    }
                    try await Task.sleep(for: .seconds(2))
                }
                // A nonce used at one is refused at the other.
                let once = builder()
                #expect(try await GatewayRefusalTests.send(once, via: first).status == .ok)
                #expect(try await GatewayRefusalTests.send(once, via: second).status == .conflict)
                try await eventually("every access is on-chain") {
                    try await first.accessRows().filter { $0.reason == "served" }.allSatisfy { $0.state == "confirmed" }
                }
                for gateway in [first, second] {
                    let ready = try await gateway.client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil)
                    #expect(ready.status == .ok, "\(String(buffer: ready.body))")
                }
            }
        }
    }

    @Test("crashes with pending outbox rows: after restarts each access is logged exactly once", .timeLimit(.minutes(5)))
    func crashAndRestart() async throws {
        let chain = try await PrivateChain()
        let deployment = try await Deployment.make(rpcURL: chain.url)
        try await TestEnvironment.withDatabase { postgres, database in
            let process = try GatewayProcess(deployment: deployment, database: database, settings: ["outbox.replace_after_seconds": "1"])
            try await process.start()
            let clerk = try await GatewayClient(baseURL: process.baseURL, key: deployment.clerk, httpClient: HTTPClient.shared)
            let body = Array("crash-proof record".utf8)
            let stored = try await clerk.store(body: .bytes(ByteBuffer(bytes: body)), sha256: Bytes32.sha256(body), patient: deployment.patient.address, contentType: "text/plain")
            try await eventually("the anchor is on-chain") { try await deployment.contract.record(try Bytes32(stored.recordId)) != nil }
            let token = try await deployment.grant(try Bytes32(stored.recordId), to: deployment.doctor)
            let doctor = try await GatewayClient(baseURL: process.baseURL, key: deployment.doctor, httpClient: HTTPClient.shared)
            var served = [String]()

            func fetch(_ count: Int) async throws {
                for _ in 0..<count {
                    let response = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
                    #expect(response.status == .ok)
                    served.append(try #require(response.headers.first(name: SignedRequest.Header.requestId)))
                    _ = try await response.body.collect(upTo: 1 << 16)
                }
            }

            func states() async throws -> [String: Int] {
                var counts = [String: Int]()
                for try await state in try await postgres.query("SELECT chain_state FROM access_log", logger: TestEnvironment.logger).decode(String.self) {
                    counts[state, default: 0] += 1
                }
                return counts
            }

            // A: crash with a batch in the pool and rows still queued; restart while the chain
            // still does not mine (the writer re-broadcasts, then replaces it with a higher fee).
            try await chain.stopMining()
            try await fetch(3)
            try await eventually("a batch is in flight") { (try await states()["submitted"] ?? 0) > 0 }
            try await fetch(2)
            await process.crash()
            try await process.start()
            try await Task.sleep(for: .seconds(2))
            try await chain.startMining()
            try await eventually("everything is confirmed after restart A") { try await states() == ["confirmed": served.count] }

            // B: crash with a batch in the pool; it is mined while the gateway is down.
            try await chain.stopMining()
            try await fetch(3)
            try await eventually("a batch is in flight") { (try await states()["submitted"] ?? 0) > 0 }
            await process.crash()
            try await chain.startMining()
            try await chain.call("evm_mine")
            try await process.start()
            try await fetch(1)
            try await eventually("everything is confirmed after restart B") { try await states() == ["confirmed": served.count] }
            await process.crash()

            // Exactly once: every served request id appears once among the on-chain entries.
            let logs = try await chain.client.logs(LogFilter(
                fromBlock: .earliest, addresses: [deployment.contract.address], topics: [[MedicalAccessABI.accessed.topic]]))
            let logged = logs.compactMap { try? deployment.contract.decode($0)?.value("requestId").asBytes32().hex }
            #expect(logged.count == served.count, "on-chain \(logged.count), served \(served.count)")
            #expect(Set(logged) == Set(served))
            #expect(Set(logged).count == logged.count, "an access was logged twice")
        }
    }
}
