import Logging
import PostgresNIO

extension PostgresClient {
    /// `withTransaction`, but a failure of `body` surfaces as itself rather than wrapped in a
    /// `PostgresTransactionError`, so callers can switch on our own error codes.
    func transaction<Result: Sendable>(
        logger: Logger, _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> Result {
        do {
            return try await withTransaction(logger: logger, body)
        } catch let error as PostgresTransactionError {
            if let closureError = error.closureError { throw closureError }
            throw error
        }
    }
}
