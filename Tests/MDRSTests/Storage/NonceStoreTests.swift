import EthereumCore
import Foundation
@testable import MDRSPostgres
import Testing

@Suite("Request nonces")
struct NonceStoreTests {
    @Test("a nonce is single-use per signer, and purged by the gateway's clock, not the database's", .timeLimit(.minutes(1)))
    func claimAndPurge() async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let nonces = NonceStore(client: client, logger: TestEnvironment.logger)
            let signer = PrivateKey.random().address
            let nonce = Bytes32.random()
            // The gateway's clock runs an hour ahead of the database's.
            let gatewayNow = Date().addingTimeInterval(3600)
            let until = gatewayNow.addingTimeInterval(60)
            let first = try await nonces.claim(signer: signer, nonce: nonce, until: until)
            let again = try await nonces.claim(signer: signer, nonce: nonce, until: until)
            let otherSigner = try await nonces.claim(signer: PrivateKey.random().address, nonce: nonce, until: until)
            #expect(first && !again && otherSigner)
            // Not yet expired by the gateway's clock: kept, so the replay is still refused.
            let kept = try await nonces.purgeExpired(now: gatewayNow)
            let stillRefused = try await nonces.claim(signer: signer, nonce: nonce, until: until)
            #expect(kept == 0 && !stillRefused)
            // Expired by the gateway's clock (the database's says an hour to go): purged.
            let purged = try await nonces.purgeExpired(now: gatewayNow.addingTimeInterval(61))
            #expect(purged == 2)
        }
    }
}
