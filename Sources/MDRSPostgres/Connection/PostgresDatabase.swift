import Logging
import PostgresNIO
import Synchronization

/// The gateway's way to PostgreSQL: a `PostgresClient` every use of which ends, even when the
/// server goes away in the middle of it.
///
/// PostgresNIO writes each query to its connection's channel without a write promise. Once the
/// channel has closed and NIO has taken its handlers down, such a write is dropped and the
/// query's own promise is never completed: the caller waits for ever, holding its lease (seen
/// after PostgreSQL crashes under load: the log writer, and fetches, waited with no error). So
/// every use here runs beside a watch on its connection's closing: if the connection closes
/// first, the use fails at once with ``PostgresDatabaseError``, the lease goes back (the pool
/// drops closed connections), and whatever was left waiting inside is abandoned.
///
/// A use cancelled (a request's deadline, shutdown) ends the same way: its connection is
/// closed first, so that no one else can be handed a connection still in the middle of it.
///
/// Rows are collected before the lease is returned; every query here is bounded (pages, single
/// rows, one chunk).
public struct PostgresDatabase: Sendable {
    public let client: PostgresClient
    /// With it, a use fails at once while the database is known to be down, and a use waiting
    /// (for a connection, or for an answer) when an outage is found gives up at once: the pool
    /// would otherwise keep it waiting until the database is back.
    public let health: DatabaseHealth?

    public init(_ client: PostgresClient, health: DatabaseHealth? = nil) {
        self.client = client
        self.health = health
    }

    /// Runs `body` on a leased connection; see the type's notes for what happens if the
    /// connection closes or the task is cancelled first.
    @discardableResult
    public func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        guard let health else {
            return try await client.withConnection { connection in try await Self.guarded(connection, body) }
        }
        guard health.isReachable else { throw PostgresDatabaseError(.unavailable) }
        let client = self.client
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await client.withConnection { connection in try await Self.guarded(connection, body) } }
            group.addTask {
                await health.outage()
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else { throw PostgresDatabaseError(.unavailable) }
            return result
        }
    }

    /// `body` inside BEGIN ... COMMIT (ROLLBACK if it throws). A failure of `body` surfaces as
    /// itself, not wrapped, so callers can switch on their own error codes. Returns once COMMIT
    /// has answered, that is once the transaction is durable.
    @discardableResult
    public func transaction<Result: Sendable>(
        logger: Logger, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            do {
                return try await connection.withTransaction(logger: logger) { try await body($0) }
            } catch let error as PostgresTransactionError {
                if let closureError = error.closureError { throw closureError }
                throw error
            }
        }
    }

    /// Runs `query` and returns its rows, collected.
    @discardableResult
    public func query(_ query: PostgresQuery, logger: Logger) async throws -> CollectedRows {
        try await withConnection { connection in
            CollectedRows(rows: try await connection.query(query, logger: logger).collect())
        }
    }

    /// Runs a prepared statement (prepared once per connection) and returns its rows, decoded.
    public func execute<Statement: PostgresPreparedStatement & Sendable>(
        _ statement: Statement, logger: Logger
    ) async throws -> CollectedRows.Decoded<Statement.Row> where Statement.Row: Sendable {
        try await withConnection { connection in
            var rows = [Statement.Row]()
            for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
            return CollectedRows.Decoded(elements: rows)
        }
    }

    /// Runs `body` on `connection` until it ends, the connection closes, or the task is
    /// cancelled, whichever comes first.
    package static func guarded<Result: Sendable>(
        _ connection: PostgresConnection, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let outcome = Outcome<Result>()
        let work = Mutex<Task<Void, Never>?>(nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
                outcome.start(continuation)
                guard let token = ConnectionCloseWatch.shared.watch(connection, onClose: {
                    outcome.finish(.failure(PostgresDatabaseError(.connectionClosed)))
                }) else {
                    outcome.finish(.failure(PostgresDatabaseError(.connectionClosed)))
                    return
                }
                work.withLock {
                    $0 = Task {
                        let result: Swift.Result<Result, any Error>
                        do { result = .success(try await body(connection)) } catch { result = .failure(error) }
                        ConnectionCloseWatch.shared.stopWatching(connection, token: token)
                        outcome.finish(result)
                    }
                }
            }
        } onCancel: {
            guard outcome.finish(.failure(CancellationError())) else { return }
            // Never hand on a connection in the middle of an abandoned use.
            let _: EventLoopFuture<Void> = connection.close()
            work.withLock { $0?.cancel() }
        }
    }

    /// The first of the body's result, the connection's closing and cancellation; the others
    /// are ignored.
    private final class Outcome<Result: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Result, any Error>?
            var early: Swift.Result<Result, any Error>?
            var finished = false
        }
        private let state = Mutex(State())

        func start(_ continuation: CheckedContinuation<Result, any Error>) {
            let early = state.withLock { state -> Swift.Result<Result, any Error>? in
                if let early = state.early { return early }
                state.continuation = continuation
                return nil
            }
            if let early { continuation.resume(with: early) }
        }

        /// True if this was the first outcome.
        @discardableResult
        func finish(_ result: Swift.Result<Result, any Error>) -> Bool {
            let continuation = state.withLock { state -> CheckedContinuation<Result, any Error>?? in
                guard !state.finished else { return .none }
                state.finished = true
                guard let continuation = state.continuation else {
                    state.early = result
                    return .some(nil)
                }
                state.continuation = nil
                return .some(continuation)
            }
            switch continuation {
            case .none: return false
            case .some(let continuation): continuation?.resume(with: result); return true
            }
        }
    }
}

/// A use of the database that ended without an answer from it.
public struct PostgresDatabaseError: Error, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The connection closed (the server went away) before the use ended.
        case connectionClosed = "connection_closed"
        /// The database was found unreachable (``DatabaseHealth``) before or during the use.
        case unavailable
    }

    public let code: Code

    /// The connection closed.
    public static let closed = PostgresDatabaseError(.connectionClosed)

    init(_ code: Code) {
        self.code = code
    }

    public var description: String {
        switch code {
        case .connectionClosed: "the connection to PostgreSQL closed before the statement was answered"
        case .unavailable: "PostgreSQL is unreachable"
        }
    }
}

/// What the stores are made with: a ``PostgresDatabase`` (the gateway's, watched by a
/// ``DatabaseHealth``) or a bare `PostgresClient` (tools and tests).
public protocol PostgresDatabaseConvertible: Sendable {
    var database: PostgresDatabase { get }
}

extension PostgresDatabase: PostgresDatabaseConvertible {
    public var database: PostgresDatabase { self }
}

extension PostgresClient: PostgresDatabaseConvertible {
    public var database: PostgresDatabase { PostgresDatabase(self) }
}
