import EthereumCore
import Foundation
import MDRSCore
@testable import MDRSPostgres
import PostgresNIO
import ServiceLifecycle
import Testing

@Suite("Request nonces")
struct NonceStoreTests {
    @Test("a nonce is single-use per signer, and purged by the gateway's clock, not the database's", .timeLimit(.minutes(6)))
    func claimAndPurge() async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let nonces = NonceStore(client: client, logger: TestEnvironment.logger)
            let signer = PrivateKey.random().address
            let nonce = Bytes32.random()
            // The gateway's clock runs an hour ahead of the database's.
            let gatewayNow = Date().addingTimeInterval(3600)
            let until = gatewayNow.addingTimeInterval(60)
            let first = try await nonces.claim(NonceClaim(signer: signer, nonce: nonce, expiry: until))
            let again = try await nonces.claim(NonceClaim(signer: signer, nonce: nonce, expiry: until))
            let otherSigner = try await nonces.claim(NonceClaim(signer: PrivateKey.random().address, nonce: nonce, expiry: until))
            #expect(first && !again && otherSigner)
            // Not yet expired by the gateway's clock: kept, so the replay is still refused.
            let kept = try await nonces.purgeExpired(now: gatewayNow)
            let stillRefused = try await nonces.claim(NonceClaim(signer: signer, nonce: nonce, expiry: until))
            #expect(kept == 0 && !stillRefused)
            // Expired by the gateway's clock (the database's says an hour to go): purged.
            let purged = try await nonces.purgeExpired(now: gatewayNow.addingTimeInterval(61))
            #expect(purged == 2)
        }
    }

    @Test("a served row and its nonce commit together: a used nonce writes no row, a refused row claims no nonce", .timeLimit(.minutes(6)))
    func claimWithAccessRow() async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let nonces = NonceStore(client: client, logger: TestEnvironment.logger)
            let outbox = OutboxStore(client: client, logger: TestEnvironment.logger)
            let staff = PrivateKey.random().address
            func served() -> AccessRecord {
                AccessRecord(
                    requestId: Bytes32.random(), token: Bytes32.random(), recordId: Bytes32.random(), staff: staff,
                    patient: PrivateKey.random().address, custodian: PrivateKey.random().address, purpose: 1, outcome: .served,
                    reason: "served", accessedAt: UInt64(Date().timeIntervalSince1970), rangeStart: nil, rangeEnd: nil,
                    signatureHash: Bytes32.random())
            }
            func claim() -> NonceClaim { NonceClaim(signer: staff, nonce: Bytes32.random(), expiry: Date().addingTimeInterval(60)) }
            func rows() async throws -> Int {
                try await client.query("SELECT count(*) FROM access_log", logger: TestEnvironment.logger).collect()[0].decode(Int.self)
            }

            let first = served(), nonce = claim()
            let written = try await outbox.insert(first, onChain: true, claiming: nonce)
            // The same nonce again (a replay): refused, and no second row.
            let replayed = try await outbox.insert(served(), onChain: true, claiming: nonce)
            let claimedAgain = try await nonces.claim(nonce)
            let afterReplay = try await rows()
            #expect(written && !replayed && !claimedAgain && afterReplay == 1)
            // A row PostgreSQL refuses (the same request id) rolls its nonce back with it.
            let unused = claim()
            await #expect(throws: PSQLError.self) { _ = try await outbox.insert(first, onChain: true, claiming: unused) }
            let afterRefusal = try await rows()
            let stillUnused = try await nonces.claim(unused)
            #expect(afterRefusal == 1 && stillUnused)
        }
    }

    @Test(
        "group commit: concurrent releases share commits; a used nonce, a nonce named twice and a row PostgreSQL refuses each get their own answer",
        .timeLimit(.minutes(6)))
    func groupCommit() async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let nonces = NonceStore(client: client, logger: TestEnvironment.logger)
            let outbox = OutboxStore(client: client, logger: TestEnvironment.logger)
            let metrics = GatewayMetrics()
            let group = AccessGroupCommit(store: outbox, maximumGroup: 16, metrics: metrics, logger: TestEnvironment.logger)
            let staff = PrivateKey.random().address
            @Sendable func served(_ id: Bytes32 = .random(), range: Int64? = nil) -> AccessRecord {
                AccessRecord(
                    requestId: id, token: Bytes32.random(), recordId: Bytes32.random(), staff: staff,
                    patient: range == nil ? PrivateKey.random().address : nil, custodian: PrivateKey.random().address, purpose: 1,
                    outcome: .served, reason: "served", accessedAt: UInt64(Date().timeIntervalSince1970), rangeStart: range,
                    rangeEnd: range.map { $0 + 9 }, signatureHash: Bytes32.random())
            }
            @Sendable func claim() -> NonceClaim { NonceClaim(signer: staff, nonce: Bytes32.random(), expiry: Date().addingTimeInterval(60)) }

            // Before: one release already written (its request id will be reused), one nonce used.
            let earlier = served()
            #expect(try await outbox.insert(earlier, onChain: true, claiming: claim()))
            let used = claim()
            #expect(try await nonces.claim(used))

            enum Kind: Sendable { case ordinary, usedNonce, twice, refusedRow }
            let twice = claim()
            var releases: [(Kind, AccessRecord, NonceClaim)] = (0..<60).map { i in (.ordinary, served(range: i % 2 == 0 ? nil : Int64(i)), claim()) }
            releases.insert((.usedNonce, served(), used), at: 7)
            releases.insert((.twice, served(), twice), at: 20)
            releases.insert((.twice, served(), twice), at: 21)
            releases.insert((.refusedRow, served(earlier.requestId), claim()), at: 33)
            let answers = try await withThrowingTaskGroup(of: (Kind, AccessRecord, Result<Bool, any Error>).self) { tasks in
                let services = ServiceGroup(configuration: .init(services: [group], logger: TestEnvironment.logger))
                tasks.addTask { try await services.run(); return (.ordinary, earlier, .success(true)) }
                // Wait until the service takes releases into groups, then send them all at once.
                while !group.isRunning { try await Task.sleep(for: .milliseconds(10)) }
                var answers = [(Kind, AccessRecord, Result<Bool, any Error>)]()
                try await withThrowingTaskGroup(of: (Kind, AccessRecord, Result<Bool, any Error>).self) { sends in
                    for (kind, access, nonce) in releases {
                        sends.addTask {
                            do {
                                return (kind, access, .success(try await group.logServed(access, clientAddress: "192.0.2.7", claiming: nonce)))
                            } catch {
                                return (kind, access, .failure(error))
                            }
                        }
                    }
                    for try await answer in sends { answers.append(answer) }
                }
                await services.triggerGracefulShutdown()
                try await tasks.next()
                return answers
            }

            let ordinary = answers.filter { $0.0 == .ordinary }
            #expect(ordinary.count == 60 && ordinary.allSatisfy { (try? $0.2.get()) == true })
            #expect(answers.filter { $0.0 == .usedNonce }.map { try? $0.2.get() } == [false])
            #expect(answers.filter { $0.0 == .twice }.compactMap { try? $0.2.get() }.sorted { !$0 && $1 } == [false, true])
            let refused = try #require(answers.first { $0.0 == .refusedRow })
            #expect(throws: PSQLError.self) { try refused.2.get() }

            // Exactly the served rows are written, each as sent, with its nonce; the refused row's
            // nonce is not claimed.
            let rows = try await client.query(
                "SELECT request_id, patient IS NULL, range_start, range_end, client_address, chain_state FROM access_log",
                logger: TestEnvironment.logger)
            var written = [Bytes32: (Bool, Int64?, Int64?, String?, String)]()
            for try await (id, noPatient, start, end, address, state) in rows.decode((ByteBuffer, Bool, Int64?, Int64?, String?, String).self) {
                written[try Bytes32(buffer: id)] = (noPatient, start, end, address, state)
            }
            let expected = answers.filter { (try? $0.2.get()) == true }.map(\.1) + [earlier]
            #expect(Set(written.keys) == Set(expected.map(\.requestId)))
            for access in expected where access.requestId != earlier.requestId {
                let row = try #require(written[access.requestId])
                #expect(row.0 == (access.patient == nil) && row.1 == access.rangeStart && row.2 == access.rangeEnd)
                #expect(row.3 == "192.0.2.7" && row.4 == "pending")
            }
            let refusedNonce = try #require(releases.first { $0.0 == .refusedRow }).2
            #expect(try await nonces.claim(refusedNonce))
            // Fewer commits than releases: the groups were shared.
            let groups = try await Self.counter(metrics, "mdrs_access_groups_total")
            let groupRows = try await Self.counter(metrics, "mdrs_access_group_rows_total")
            print("group commit: \(releases.count) releases in \(groups) groups (\(groupRows) rows claimed)")
            #expect(groups >= 1 && groups < releases.count && groupRows == releases.count - 1)
        }
    }

    static func counter(_ metrics: GatewayMetrics, _ name: String) async throws -> Int {
        var buffer = [UInt8]()
        metrics.registry.emit(into: &buffer)
        for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") where line.hasPrefix(name + " ") {
            return Int(Double(line.split(separator: " ")[1]) ?? -1)
        }
        return 0
    }
}
