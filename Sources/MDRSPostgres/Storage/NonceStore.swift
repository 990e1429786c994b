import EthereumCore
import Foundation
import Logging
import PostgresNIO

/// Remembers request nonces until their time window has passed, so a signed request can be
/// used once. PostgreSQL holds them so that every gateway instance and a restart agree.
public struct NonceStore: Sendable {
    let client: PostgresDatabase
    let logger: Logger

    package init(client: some PostgresDatabaseConvertible, logger: Logger) {
        self.client = client.database
        self.logger = logger
    }

    /// Claims the nonce for its signer; false if it was used before. True only once the claim is
    /// durable: in an explicit transaction, whose COMMIT answers after the commit (an implicit
    /// one's statement answers before it).
    package func claim(_ nonce: NonceClaim) async throws -> Bool {
        let statement = Claim(signer: nonce.signer.buffer, nonce: nonce.nonce.buffer, expiry: nonce.expiry)
        return try await client.transaction(logger: logger) { connection in
            var claimed = 0
            for try await _ in try await connection.execute(statement, logger: logger) { claimed += 1 }
            return claimed == 1
        }
    }

    /// Prepared once per connection: every fetch claims a nonce, and parsing and planning the
    /// statement each time is PostgreSQL's work repeated for nothing.
    struct Claim: PostgresPreparedStatement {
        static let sql = "INSERT INTO request_nonces (signer, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1"
        static let bindingDataTypes: [PostgresDataType] = [.bytea, .bytea, .timestamptz]
        typealias Row = Int32

        let signer: ByteBuffer
        let nonce: ByteBuffer
        let expiry: Date

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(signer)
            bindings.append(nonce)
            bindings.append(expiry)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Int32 { try row.decode(Int32.self) }
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
