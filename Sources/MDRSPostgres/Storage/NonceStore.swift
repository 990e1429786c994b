import EthereumCore
import Foundation
import Logging
import PostgresNIO

/// Remembers request nonces until their time window has passed, so a signed request can be
/// used once. PostgreSQL holds them so that every gateway instance and a restart agree.
public struct NonceStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    package init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Claims `nonce` for `signer`; false if it was used before.
    package func claim(signer: Address, nonce: Bytes32, until expiry: Date) async throws -> Bool {
        let rows = try await client.query(
            """
            INSERT INTO request_nonces (signer, nonce, expires_at) VALUES (\(signer.buffer), \(nonce.buffer), \(expiry))
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: logger)
        return try await rows.collect().count == 1
    }

    /// Deletes nonces whose window has passed by `now` (the gateway's clock, the one the time
    /// window is checked against, never the database's), with `slack` to spare: several gateways
    /// on one database do not share a clock, and a nonce purged while another gateway's clock
    /// still accepts its time could be replayed there.
    @discardableResult
    func purgeExpired(now: Date = Date(), slack: Duration = .zero) async throws -> Int {
        let cutoff = now.addingTimeInterval(-slack.seconds)
        return try await client.query("DELETE FROM request_nonces WHERE expires_at < \(cutoff) RETURNING 1", logger: logger).collect().count
    }
}
