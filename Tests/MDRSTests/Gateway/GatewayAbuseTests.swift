import AsyncHTTPClient
import EthereumCore
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import MDRSChain
import MDRSClient
@testable import MDRSCore
@testable import MDRSPostgres
import MDRSProtocol
@testable import MDRSServer
import NIOCore
import PostgresNIO
import Testing

/// What anonymous traffic and a single registered key can make the gateway spend: rows, nonces,
/// chain reads, the outbox's stall bound.
@Suite("Gateway under abuse")
struct GatewayAbuseTests {
    /// Chain reads that a request can cause. (`getCustodian`, this gateway's own registration,
    /// is read once per block whatever the traffic, and is checked separately.)
    static let chainReads = ["getStaff", "getGrant", "getRecord", "eth_blockNumber"]

    func chainReads(_ gateway: LiveGateway) async throws -> Double {
        var total = 0.0
        for method in Self.chainReads { total += try await gateway.metric("mdrs_chain_calls_total", "method=\"\(method)\"") }
        return total
    }

    @Test("strangers' requests cost no row, no nonce and no chain read", .timeLimit(.minutes(6)))
    func strangers() async throws {
        try await LiveGateway.run(adjust: { $0.http.rateLimitPerSecond = 0 }) { gateway in
            let d = gateway.deployment
            let stored = try await gateway.store(Array("a record".utf8), contentType: "text/plain")
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)
            let ok = try await GatewayRefusalTests.send(
                FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: stored.encryptedAddress), via: gateway)
            #expect(ok.status == .ok)
            // Let the grant, staff and custodian reads of that fetch settle into the cache.
            let rows = try await gateway.count("access_log"), nonces = try await gateway.count("request_nonces")
            let reads = try await chainReads(gateway)
            let custodianReads = try await gateway.metric("mdrs_chain_calls_total", "method=\"getCustodian\"")
            let firstBlock = try await d.contract.client.blockNumber()

            for round in 0..<200 {
                // A fresh random key each time (any signature recovers some address), a valid
                // token and address; no signature; a garbage signature.
                var builder = FetchRequestBuilder(deployment: d, key: PrivateKey.random(), token: token, encryptedAddress: stored.encryptedAddress)
                if round % 4 == 1 { builder.omitSignature = true }
                if round % 4 == 2 { builder.signatureOverride = "0x" + String(repeating: "ab", count: 65) }
                if round % 4 == 3 { builder.token = Bytes32.random() }
                let response = try await GatewayRefusalTests.send(builder, via: gateway)
                #expect([.unauthorized, .forbidden].contains(response.status), "\(response.status)")
            }
            // Stores and audit queries signed by strangers.
            let stranger = try await gateway.client(PrivateKey.random())
            for _ in 0..<20 {
                await #expect(throws: GatewayClientError.self) {
                    _ = try await stranger.store(
                        body: .bytes(ByteBuffer(string: "junk")), sha256: Bytes32.sha256(Array("junk".utf8)), patient: d.patient.address,
                        contentType: "text/plain")
                }
                await #expect(throws: GatewayClientError.self) { _ = try await stranger.audit("/v1/audit/accesses") }
            }
            #expect(try await gateway.count("access_log") == rows)
            #expect(try await gateway.count("request_nonces") == nonces)
            #expect(try await gateway.count("records") == 1)
            let after = try await chainReads(gateway)
            #expect(after == reads, "strangers caused \(after - reads) chain reads")
            let blocks = try await d.contract.client.blockNumber() - firstBlock
            let custodian = try await gateway.metric("mdrs_chain_calls_total", "method=\"getCustodian\"") - custodianReads
            #expect(custodian <= Double(blocks + 1), "\(custodian) reads of the custodian's registration in \(blocks) blocks")
            #expect(try await gateway.metric("mdrs_refusals_unlogged_total", "why=\"unknown_signer\"") >= 200)
        }
    }

    @Test("a burst of fetches shares its chain reads, and a revocation after the writer's own blocks is still seen", .timeLimit(.minutes(6)))
    func burstSharesReads() async throws {
        try await LiveGateway.run(adjust: { $0.http.rateLimitPerSecond = 0 }) { gateway in
            let d = gateway.deployment
            let stored = try await gateway.store(Array("a record".utf8), contentType: "text/plain")
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)
            func fresh() -> FetchRequestBuilder {
                FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: stored.encryptedAddress)
            }
            let grantReads = try await gateway.metric("mdrs_chain_calls_total", "method=\"getGrant\"")
            let anchorReads = try await gateway.metric("mdrs_chain_calls_total", "method=\"getRecord\"")
            // 32 fetches at once, each signed afresh and on a connection of its own (the test
            // client has one connection, so it would queue them): all miss the cache together.
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        let builder = fresh()
                        var request = HTTPClientRequest(url: gateway.baseURL + builder.uri)
                        for field in try builder.headers() { request.headers.add(name: field.name.rawName, value: field.value) }
                        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
                        _ = try await response.body.collect(upTo: 1 << 16)
                        return response.status.code
                    }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            // One read per head at most; the head may move once or twice (the writer's batches).
            let grants = try await gateway.metric("mdrs_chain_calls_total", "method=\"getGrant\"") - grantReads
            let anchors = try await gateway.metric("mdrs_chain_calls_total", "method=\"getRecord\"") - anchorReads
            #expect(grants >= 1 && grants <= 3, "\(grants) grant reads for 32 fetches")
            #expect(anchors <= 3, "\(anchors) anchor reads for 32 fetches")

            // The writer's batches make blocks that are not read for logs; the patient's
            // revocation, in a block of its own, still drops the cached grant.
            try await eventually("the accesses are on-chain") {
                try await gateway.count("access_log WHERE chain_state = 'confirmed'") >= 32
            }
            #expect(try await GatewayRefusalTests.send(fresh(), via: gateway).status == .ok)
            try await d.send(d.patient, MedicalAccessContract.revoke(token))
            try await eventually("the revocation is seen") {
                try await GatewayRefusalTests.send(fresh(), via: gateway).status == .forbidden
            }
            GatewayRefusalTests.expectRefusal(try await GatewayRefusalTests.send(fresh(), via: gateway), status: .forbidden, code: "grant_revoked")
        }
    }

    @Test("a client over its rate is refused with 429 before any work", .timeLimit(.minutes(6)))
    func rateLimit() async throws {
        // Practically no refill, so that the count does not depend on how fast the machine is.
        try await LiveGateway.run(adjust: { $0.http.rateLimitPerSecond = 0.0001; $0.http.rateLimitBurst = 5 }) { gateway in
            var statuses = [HTTPResponse.Status]()
            var refusal: TestResponse?
            for _ in 0..<12 {
                let response = try await gateway.client.execute(uri: "/v1/info", method: .get, headers: [:], body: nil)
                statuses.append(response.status)
                if response.status == .tooManyRequests { refusal = response }
            }
            #expect(statuses.prefix(5).allSatisfy { $0 == .ok })
            #expect(statuses.dropFirst(5).allSatisfy { $0 == .tooManyRequests })
            let body = String(buffer: try #require(refusal).body)
            #expect(body.contains("\"code\":\"rate_limited\""))
            #expect(refusal?.headers[.retryAfter] == "1")
            // Health checks of a load balancer are not counted.
            #expect(try await gateway.client.execute(uri: "/health/live", method: .get, headers: [:], body: nil).status == .ok)
        }
    }

    @Test("one registered staff key cannot flood the log or stall serving", .timeLimit(.minutes(6)))
    func denialFlood() async throws {
        let chain = try await PrivateChain()
        let deployment = try await Deployment.make(rpcURL: chain.url)
        let clock = SteppingClock()
        try await LiveGateway.run(deployment: deployment, clock: clock, adjust: {
            $0.outbox.stallBound = .seconds(2)
            $0.outbox.maximumEntries = 5
            $0.loggedRefusalsPerMinute = 30
            $0.http.rateLimitPerSecond = 0
            // The chain stops mining below, on purpose: its head must not count as frozen while
            // a loaded machine sends the flood.
            $0.chain.maximumHeadAge = .seconds(600)
        }) { gateway in
            let d = gateway.deployment
            let stored = try await gateway.store(Array("still served".utf8), contentType: "text/plain")
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)

            // The chain stops mining: every logged denial waits. doctor2, registered staff,
            // floods fresh requests with the doctor's (public) token.
            try await chain.stopMining()
            let started = ContinuousClock.now
            for _ in 0..<100 {
                let builder = FetchRequestBuilder(deployment: d, key: d.doctor2, token: token, encryptedAddress: stored.encryptedAddress)
                let response = try await GatewayRefusalTests.send(builder, via: gateway)
                #expect(response.status == .forbidden)
            }
            // The budget: a burst of 30, and 30 a minute after it (half a row a second).
            let earned = Int(((ContinuousClock.now - started).seconds / 2).rounded(.up))
            let denials = try await gateway.accessRows().filter { $0.reason == "not_grantee" }
            #expect(denials.count >= 30 && denials.count <= 30 + earned, "\(denials.count) rows, budget \(30 + earned)")
            let unlogged = try await gateway.metric("mdrs_refusals_unlogged_total", "why=\"over_budget\"")
            #expect(Int(unlogged) + denials.count == 100)

            // Older than the stall bound, the denials still stall nothing.
            clock.advance(by: .seconds(3))
            let ready = try await gateway.client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil)
            #expect(ready.status == .ok, "\(String(buffer: ready.body))")
            let served = try await GatewayRefusalTests.send(
                FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: stored.encryptedAddress), via: gateway)
            #expect(served.status == .ok, "\(String(buffer: served.body))")
            let servedId = try #require(served.headers[HTTPField.Name(SignedRequest.Header.requestId)!])

            // Mining again: the served row goes ahead of the denials that waited before it.
            try await chain.startMining()
            try await eventually("every row is on-chain", timeout: .seconds(60)) {
                try await gateway.accessRows().allSatisfy { $0.state == "confirmed" }
            }
            let batches = try await gateway.postgres.query(
                "SELECT request_id, outcome, batch_id, created_at FROM access_log", logger: TestEnvironment.logger)
            var servedBatch: Int64?, servedAt: Date?
            var denialBatches = [(Int64, Date)]()
            for try await (id, outcome, batch, created) in batches.decode((ByteBuffer, Int16, Int64?, Date).self) {
                if Hex.encode(Array(id.readableBytesView)) == servedId { (servedBatch, servedAt) = (batch, created) }
                else if outcome != 1, let batch { denialBatches.append((batch, created)) }
            }
            let batch = try #require(servedBatch), at = try #require(servedAt)
            #expect(denialBatches.contains { $0.1 < at && $0.0 > batch }, "the served row waited behind older denials")
        }
    }

    @Test("a signer's stale requests cannot use up the budget that logs its decisions; what is over budget is tallied", .timeLimit(.minutes(6)))
    func budgets() async throws {
        let budget = RefusalBudget(perSignerPerMinute: 3, foreignPerCustodianPerMinute: 2)
        let signer = PrivateKey.random().address
        for _ in 0..<10 { _ = budget.allowRow(signer, code: .requestStale) }
        #expect(budget.allowRow(signer, code: .grantRevoked), "stale requests emptied the decisions' bucket")
        #expect(budget.allowRow(signer, code: .notGrantee) && budget.allowRow(signer, code: .notGrantee))
        #expect(!budget.allowRow(signer, code: .notGrantee))
        let foreign = PrivateKey.random().address
        #expect(budget.allowForeignOnChain(foreign) && budget.allowForeignOnChain(foreign) && !budget.allowForeignOnChain(foreign))
        let tallies = budget.drainTallies()
        #expect(tallies[signer]?["request_stale"] == 7 && tallies[signer]?["not_grantee"] == 1)
        #expect(budget.drainTallies().isEmpty)
        try await TestEnvironment.withDatabase { client, _ in
            let outbox = OutboxStore(client: client, logger: TestEnvironment.logger)
            try await outbox.addTallies(tallies, minute: Date())
            try await outbox.addTallies([signer: ["request_stale": 5]], minute: Date())
            var counts = [String: Int32]()
            for try await (reason, count) in try await client.query(
                "SELECT reason, count FROM refusal_tallies WHERE signer = \(ByteBuffer(bytes: signer.bytes))", logger: TestEnvironment.logger
            ).decode((String, Int32).self) { counts[reason, default: 0] += count }
            #expect(counts == ["request_stale": 12, "not_grantee": 1])
        }
    }

    @Test("another hospital's staff cannot multiply the denials this one logs on-chain", .timeLimit(.minutes(6)))
    func foreignDenials() async throws {
        try await LiveGateway.run(adjust: { $0.foreignDenialsPerMinute = 4; $0.http.rateLimitPerSecond = 0 }) { gateway in
            let d = gateway.deployment
            let stored = try await gateway.store(Array("ours".utf8), contentType: "text/plain")
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)
            // Hospital B registers three keys and uses the (public) token against our record.
            let (hospitalB, first) = try await gateway.secondHospital()
            var keys = [first]
            for _ in 0..<2 {
                let key = try await DevChain.fundedKey(on: d.contract.client)
                try await d.send(hospitalB, MedicalAccessContract.registerStaff(key.address))
                keys.append(key)
            }
            try await eventually("B's staff are known") {
                let response = try await GatewayRefusalTests.send(
                    FetchRequestBuilder(deployment: d, key: keys[2], token: token, encryptedAddress: stored.encryptedAddress), via: gateway)
                return String(buffer: response.body).contains("not_grantee")
            }
            let started = ContinuousClock.now
            let before = try await gateway.accessRows().filter { $0.reason == "not_grantee" }.count
            for key in keys {
                for _ in 0..<5 {
                    let builder = FetchRequestBuilder(deployment: d, key: key, token: token, encryptedAddress: stored.encryptedAddress)
                    #expect(try await GatewayRefusalTests.send(builder, via: gateway).status == .forbidden)
                }
            }
            let rows = try await gateway.accessRows().filter { $0.reason == "not_grantee" }
            #expect(rows.count - before == 15, "every refusal within the signers' own budgets is a row")
            // B's budget: a burst of 4, then 4 a minute.
            let earned = Int(((ContinuousClock.now - started).seconds / 15).rounded(.up))
            let onChain = rows.filter { $0.state != "local_only" }.count
            #expect(onChain >= 4 && onChain <= 4 + earned, "\(onChain) of B's \(rows.count) refusals went on-chain")
        }
    }

    @Test("stale and replayed requests' rows are deleted after their retention; decisions never are", .timeLimit(.minutes(6)))
    func retention() async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let outbox = OutboxStore(client: client, logger: TestEnvironment.logger)
            func row(_ reason: String) -> AccessRecord {
                AccessRecord(
                    requestId: Bytes32.random(), token: Bytes32.random(), recordId: Bytes32.random(), staff: PrivateKey.random().address,
                    patient: nil, custodian: PrivateKey.random().address, purpose: 1, outcome: .nonceReused, reason: reason,
                    accessedAt: UInt64(Date().timeIntervalSince1970), rangeStart: nil, rangeEnd: nil, signatureHash: .zero)
            }
            try await outbox.insert(row("request_stale"), onChain: false)
            try await outbox.insert(row("nonce_reused"), onChain: false)
            try await outbox.insert(row("not_grantee"), onChain: false)  // a denial, even if kept here only
            try await outbox.insert(row("grant_revoked"), onChain: true)
            try await client.query("UPDATE access_log SET created_at = now() - interval '100 days'", logger: TestEnvironment.logger)
            try await outbox.insert(row("request_stale"), onChain: false)  // recent
            let purged = try await outbox.purgeLocalOnly(olderThan: .seconds(90 * 86_400), now: Date())
            #expect(purged == 2)
            var left = [String]()
            for try await reason in try await client.query("SELECT reason FROM access_log ORDER BY reason", logger: TestEnvironment.logger)
                .decode(String.self) { left.append(reason) }
            #expect(left == ["grant_revoked", "not_grantee", "request_stale"])
        }
    }
}
