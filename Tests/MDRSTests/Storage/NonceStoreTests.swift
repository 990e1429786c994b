import EthereumCore
import Foundation
import MDRSCore
@testable import MDRSPostgres
import PostgresNIO
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
}
