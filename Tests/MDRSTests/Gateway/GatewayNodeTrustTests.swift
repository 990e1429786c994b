import AsyncHTTPClient
import EthereumCore
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import MDRSChain
import MDRSCore
@testable import MDRSPostgres
import MDRSProtocol
@testable import MDRSServer
import NIOCore
import PostgresNIO
import Testing

/// How far the gateway trusts its chain node: one that stops following the chain, one that is
/// syncing, and one that lies about a grant.
@Suite("Gateway and its chain nodes")
struct GatewayNodeTrustTests {
    @Test("a node that keeps answering but stopped following the chain is detected; so is a syncing one", .timeLimit(.minutes(6)))
    func frozenNode() async throws {
        let chain = try await PrivateChain()
        let deployment = try await Deployment.make(rpcURL: chain.url)
        try await LiveGateway.run(deployment: deployment, adjust: { $0.chain.maximumHeadAge = .seconds(4) }) { gateway in
            let d = gateway.deployment
            let stored = try await gateway.store(Array("frozen".utf8), contentType: "text/plain")
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)
            let doctor = try await gateway.client(d.doctor)
            func fetch() async throws -> (UInt, String) {
                let response = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
                return (response.status.code, String(buffer: try await response.body.collect(upTo: 1 << 16)))
            }
            #expect(try await fetch().0 == 200)

            // The node freezes its "latest" block; the chain goes on, and the patient revokes.
            try await chain.call("dev_freezeHead")
            try await d.send(d.patient, MedicalAccessContract.revoke(token))
            // The gateway still sees the old head for a while; once the head is older than the
            // bound it refuses everything (bounded loop: the bound is 4 s, the loop up to 30 s).
            var served = 0
            var refusal: (UInt, String)?
            for _ in 0..<300 {
                let answer = try await fetch()
                if answer.0 == 200 { served += 1 } else { refusal = answer; break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let (status, body) = try #require(refusal, "a frozen node was trusted for 30 s")
            #expect(status == 503 && body.contains("chain_unavailable"), "\(body)")
            print("served \(served) times on the frozen head before refusing (bound 4 s)")
            let ready = try await gateway.client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil)
            #expect(ready.status == .serviceUnavailable)
            #expect(String(buffer: ready.body).contains("\"chain\":\"unavailable\""))

            // The node follows the chain again: the revocation is seen.
            try await chain.call("dev_thawHead")
            try await eventually("the revocation is seen") {
                let (status, body) = try await fetch()
                return status == 403 && body.contains("grant_revoked")
            }

            // A syncing node is not trusted either.
            try await chain.call("dev_setSyncing", [.bool(true)])
            try await eventually("a syncing node is refused") {
                let (status, body) = try await fetch()
                return status == 503 && body.contains("chain_unavailable")
            }
            try await chain.call("dev_setSyncing", [.bool(false)])
            try await gateway.waitUntilReady()
        }
    }

    @Test("a forged grant is refused when a second node disagrees; served alone, the contract's refusal raises an alert", .timeLimit(.minutes(6)))
    func forgedGrant() async throws {
        let d = try await Deployment.make()
        // The forger answers any token with a grant to doctor2 for the record the token names;
        // the patient never granted doctor2 anything.
        let registration = try await d.contract.staff(d.doctor2.address)
        let forger = try await ForgingNode(
            upstream: d.rpcURL, staff: d.doctor2.address, custodian: d.hospital.address, patient: d.patient.address,
            epoch: registration.epoch)
        @Sendable func attempt(_ gateway: LiveGateway) async throws -> TestResponse {
            let stored = try await gateway.store(Array("never granted".utf8), contentType: "text/plain")
            let builder = FetchRequestBuilder(
                deployment: d, key: d.doctor2, token: try Bytes32(stored.recordId), encryptedAddress: stored.encryptedAddress)
            return try await GatewayRefusalTests.send(builder, via: gateway)
        }

        // Two nodes, one forging: the reads disagree, nothing is released.
        try await LiveGateway.run(deployment: d, adjust: { $0.chain.rpcURL = forger.url; $0.chain.witnessURLs = [d.rpcURL]
            // The shared dev chain mines a block per transaction of every test running at once, and
            // the dishonest node is a slow proxy: its head may trail by many blocks.
            $0.chain.witnessMaximumLag = 10_000
        }) { gateway in
            let response = try await attempt(gateway)
            let body = String(buffer: response.body)
            #expect(response.status == .serviceUnavailable && body.contains("chain_disagreement"), "\(body)")
            #expect(!body.contains("never granted"))
            #expect(try await gateway.metric("mdrs_chain_disagreements_total", "read=\"getGrant\"") >= 1)
        }

        // The forging node alone: the record is released (the threat). The contract finds no
        // grant for the served entry and logs it, under its number, as served without a grant:
        // the gateway raises an alert.
        try await LiveGateway.run(deployment: d, adjust: { $0.chain.rpcURL = forger.url }) { gateway in
            let response = try await attempt(gateway)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let requestId = try #require(response.headers[HTTPField.Name(SignedRequest.Header.requestId)!])
            try await eventually("the served row is logged as an incident") { try await gateway.accessRow(requestId)?.state == "confirmed" }
            #expect(try await gateway.metric("mdrs_log_entries_rejected_total", "outcome=\"served\",reason=\"ServedWithoutGrant\"") == 1)
            let auditor = try await gateway.client(d.auditor)
            let report = try JSONDecoder().decode(AuditReport.self, from: try await auditor.audit("/v1/audit/accesses?limit=1000"))
            #expect(report.entries.first { $0.requestId == requestId }?.outcome == Int(AccessOutcome.servedWithoutGrant.rawValue))
            // Nothing more is released until an operator has reviewed the incident.
            let halted = try await attempt(gateway)
            #expect(halted.status == .serviceUnavailable && String(buffer: halted.body).contains("reviewed"), "\(String(buffer: halted.body))")
            try await eventually("readiness reports it") {
                String(buffer: try await gateway.client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil).body)
                    .contains("\"outbox\":\"rejected\"")
            }
            let outbox = OutboxStore(client: gateway.postgres, logger: TestEnvironment.logger)
            #expect(try await outbox.unreviewedRejections().map(\.requestId.hex) == [requestId])
            #expect(try await outbox.review(try Bytes32(requestId), note: "the node at this URL forged a grant; removed"))
            try await eventually("releases resume after the review") { try await attempt(gateway).status == .ok }
        }
    }

    @Test("a witness catches a revocation the first node hides, even for a grant already cached", .timeLimit(.minutes(6)))
    func hiddenRevocation() async throws {
        let d = try await Deployment.make()
        let hider = try await ForgingNode.hidingRevocations(upstream: d.rpcURL)
        try await LiveGateway.run(deployment: d, adjust: { $0.chain.rpcURL = hider.url; $0.chain.witnessURLs = [d.rpcURL]
            // The shared dev chain mines a block per transaction of every test running at once, and
            // the dishonest node is a slow proxy: its head may trail by many blocks.
            $0.chain.witnessMaximumLag = 10_000
        }) { gateway in
            let stored = try await gateway.store(Array("revoked behind a lying node".utf8), contentType: "text/plain")
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)
            let builder = { FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: stored.encryptedAddress) }
            // Served, so the grant is in the cache.
            #expect(try await GatewayRefusalTests.send(builder(), via: gateway).status == .ok)
            try await d.send(d.patient, MedicalAccessContract.revoke(token))
            // The first node hides the revocation from its logs and its grant reads; the
            // witness tells the truth. Within a few blocks nothing more is served.
            try await eventually("the hidden revocation stops serving") {
                let response = try await GatewayRefusalTests.send(builder(), via: gateway)
                return response.status == .serviceUnavailable && String(buffer: response.body).contains("chain_disagreement")
            }
        }
    }

    @Test("a node that freezes its head with fresh timestamps is caught by its witness", .timeLimit(.minutes(6)))
    func frozenHeadWithFreshTimestamps() async throws {
        let chain = try await PrivateChain()
        let d = try await Deployment.make(rpcURL: chain.url)
        try await TestEnvironment.withDatabase { _, database in
            var honest = try d.configuration(database: database)
            honest.http.port = 0
            // The record and the grant exist before the freezer starts, so its frozen head has them.
            let (stored, token) = try await LiveGateway.run(deployment: d) { gateway in
                let stored = try await gateway.store(Array("frozen in time".utf8), contentType: "text/plain")
                return (stored, try await d.grant(try Bytes32(stored.recordId), to: d.doctor))
            }
            let freezer = try await ForgingNode.freezingHead(upstream: chain.url)
            try await LiveGateway.run(deployment: d, adjust: { $0.chain.rpcURL = freezer.url; $0.chain.witnessURLs = [chain.url] }) { gateway in
                let builder = { FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: stored.encryptedAddress) }
                try await d.send(d.patient, MedicalAccessContract.revoke(token))
                // Reads at the frozen block agree on every node (the grant was valid there), and
                // the frozen head's timestamp is always fresh. The witness's head moves on (a
                // block at least every 2 s): once it is more than 3 blocks ahead, nothing is served.
                try await eventually("the frozen node is refused", timeout: .seconds(40)) {
                    let response = try await GatewayRefusalTests.send(builder(), via: gateway)
                    return response.status == .serviceUnavailable && String(buffer: response.body).contains("chain_unavailable")
                }
                try await eventually("readiness says so (it is cached for a second)") {
                    try await gateway.client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil).status == .serviceUnavailable
                }
            }
        }
    }

    @Test(
        "a single lying node keeps a revoked grant alive: the audit check, read from an honest node, flags every release after the revocation bound",
        .timeLimit(.minutes(6)), arguments: ["hides revocations", "freezes its head"])
    func lateReleasesFlagged(_ lie: String) async throws {
        let chain = try await PrivateChain()
        let d = try await Deployment.make(rpcURL: chain.url)
        try await TestEnvironment.withDatabase { postgres, database in
            var honest = try d.configuration(database: database)
            honest.chain.headStaleness = .seconds(2)
            @Sendable func run<T: Sendable>(_ configuration: GatewayConfiguration, _ body: @Sendable (LiveGateway) async throws -> T) async throws -> T {
                let app = try await buildApplication(configuration, logger: TestEnvironment.logger)
                return try await app.test(.live) { client in
                    let gateway = LiveGateway(
                        deployment: d, baseURL: "http://127.0.0.1:\(try #require(client.port))", client: client, database: database, postgres: postgres)
                    try await gateway.waitUntilReady()
                    return try await body(gateway)
                }
            }
            let (stored, token) = try await run(honest) { gateway in
                let stored = try await gateway.store(Array("released past its revocation".utf8), contentType: "text/plain")
                return (stored, try await d.grant(try Bytes32(stored.recordId), to: d.doctor))
            }
            // The gateway's one node lies from now on (a node that freezes keeps the head it
            // starts with: the grant is there, valid).
            let liar = lie == "hides revocations"
                ? try await ForgingNode.hidingRevocations(upstream: chain.url) : try await ForgingNode.freezingHead(upstream: chain.url)
            var lying = honest
            lying.chain.rpcURL = liar.url
            let (before, after, revokedAt) = try await run(lying) { gateway in
                let builder = { FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: stored.encryptedAddress) }
                func fetch() async throws -> String? {
                    let response = try await GatewayRefusalTests.send(builder(), via: gateway)
                    return response.status == .ok ? response.headers[HTTPField.Name(SignedRequest.Header.requestId)!] : nil
                }
                let before = try #require(try await fetch())
                let receipt = try await d.send(d.patient, MedicalAccessContract.revoke(token))
                let revokedAt = try #require(try await chain.client.block(.number(receipt.blockNumber))).timestamp
                // Past the revocation bound (poll 0.1 s + staleness 2 s + skew 5 s) and beyond, in
                // the chain's time (the dev chain's clock runs ahead of the wall's while it mines
                // fast), at most a minute.
                var after = [String]()
                let until = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < until {
                    if let id = try await fetch() { after.append(id) }
                    let head = try await chain.client.block(.latest)?.timestamp ?? 0
                    if max(head, UInt64(Date().timeIntervalSince1970)) > revokedAt + 11 && after.count >= 5 { break }
                    try await Task.sleep(for: .milliseconds(250))
                }
                return (before, after, revokedAt)
            }
            #expect(!after.isEmpty, "the lying node (\(lie)) did not keep the grant alive: nothing to detect")
            // An honest node: the gateway logs what is left and the audit check reads the truth.
            try await run(honest) { gateway in
                try await eventually("every release is on-chain", timeout: .seconds(60)) {
                    try await gateway.accessRows().filter { $0.reason == "served" }.allSatisfy { $0.state == "confirmed" }
                }
                let auditor = try await gateway.client(d.auditor)
                let report = try JSONDecoder().decode(ConsistencyReport.self, from: try await auditor.audit("/v1/audit/check?restart=true"))
                let flagged = Set(report.servedAfterRevocation)
                #expect(!report.consistent)
                #expect(!flagged.isEmpty, "no release after the revocation was flagged (\(lie))")
                #expect(!flagged.contains(before), "a release before the revocation was flagged")
                #expect(flagged.isSubset(of: Set(after)), "flagged \(flagged.subtracting(after))")
                // Every release later than the bound after the revocation's block is flagged.
                let rows = try await gateway.accessRowsWithTimes()
                let late = Set(after.filter { id in (rows[id] ?? 0) > revokedAt + 8 })
                #expect(late.isSubset(of: flagged), "late releases not flagged: \(late.subtracting(flagged))")
                print("lying node (\(lie)): \(after.count) releases after the revocation, \(flagged.count) flagged")
                #expect(try await gateway.metric("mdrs_audit_findings", "kind=\"served_after_revocation\"") == Double(flagged.count))
            }
        }
    }

    @Test("a node that dates its head in the future is refused (chain.max_clock_skew_seconds)", .timeLimit(.minutes(6)))
    func headFromTheFuture() async throws {
        let chain = try await PrivateChain()
        let d = try await Deployment.make(rpcURL: chain.url)
        let ahead = try await ForgingNode.freezingHead(upstream: chain.url, shiftingTimestampBy: 60)
        try await LiveGateway.run(deployment: d, adjust: { $0.chain.rpcURL = ahead.url; $0.chain.maximumClockSkew = .seconds(5) }, waitUntilReady: false) { gateway in
            try await eventually("the head from the future is refused") {
                let ready = try await gateway.client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil)
                return ready.status == .serviceUnavailable && String(buffer: ready.body).contains("\"chain\":\"unavailable\"")
            }
        }
    }
}
