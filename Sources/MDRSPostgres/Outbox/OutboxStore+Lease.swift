import Foundation
import Logging
import PostgresNIO

extension OutboxStore {
    // MARK: The writer's lease

    /// Takes the writer's lease for this process, with a new term, if no one holds it, its
    /// holder let it expire, or `holderIsGone` (this process holds the writer's advisory lock,
    /// so the holder's database session has ended). Nil if another process holds it.
    package func takeLease(for duration: Duration, holderIsGone: Bool) async throws -> WriterLease.Term? {
        let holder = lease.holder
        let rows = try await client.query(
            """
            UPDATE outbox_writer_lease SET holder = \(holder), term = term + 1,
                expires_at = now() + make_interval(secs => \(duration.seconds)), acquired_at = now()
            WHERE id = 1 AND (holder IS NULL OR expires_at < now() OR \(holderIsGone))
            RETURNING term
            """, logger: logger)
        for try await term in rows.decode(Int64.self) {
            let term = WriterLease.Term(holder: holder, number: term)
            lease.begin(term)
            return term
        }
        return nil
    }

    /// Extends the held lease by `duration` from now; throws ``WriterLeaseLost`` if it is no
    /// longer this process's.
    package func renewLease(for duration: Duration) async throws {
        try await writerTransaction { connection in
            try await connection.query(
                "UPDATE outbox_writer_lease SET expires_at = now() + make_interval(secs => \(duration.seconds)) WHERE id = 1",
                logger: logger)
        }
    }

    /// Gives the lease up (a graceful shutdown), so that another process takes over at once.
    package func releaseLease() async throws {
        guard let term = lease.term else { return }
        lease.end()
        try await client.query(
            """
            UPDATE outbox_writer_lease SET holder = NULL, expires_at = '-infinity'
            WHERE id = 1 AND holder = \(term.holder) AND term = \(term.number)
            """, logger: logger)
    }

    /// The lease as the database has it: the holder (nil if none), its term, and whether it
    /// has expired. For readiness and the tests.
    package func leaseState() async throws -> (holder: String?, term: Int64, expired: Bool) {
        let rows = try await client.query(
            "SELECT holder, term, expires_at < now() FROM outbox_writer_lease WHERE id = 1", logger: logger)
        for try await row in rows.decode((String?, Int64, Bool).self) { return row }
        return (nil, 0, true)
    }

    /// `body` in a transaction that first checks, holding the lease row in share mode until it
    /// commits, that this process still holds the term it took: a take-over waits for the
    /// transaction, and a transaction after a take-over writes nothing.
    @discardableResult
    package func writerTransaction<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        guard let term = lease.term else { throw WriterLeaseLost(term: nil) }
        let logger = self.logger
        let lease = self.lease
        return try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT 1 FROM outbox_writer_lease
                WHERE id = 1 AND holder = \(term.holder) AND term = \(term.number) AND expires_at > now()
                FOR SHARE
                """, logger: logger)
            guard try await rows.collect().count == 1 else {
                lease.end()
                throw WriterLeaseLost(term: term.number)
            }
            return try await body(connection)
        }
    }
}
