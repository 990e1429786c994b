import PostgresNIO

/// Whether an error from PostgreSQL means "the database could not be used just now" (a lost or
/// refused connection, a server shutting down, crashing or starting up, or out of connections)
/// rather than a fault of the statement: the former is answered 503 with a Retry-After, never 500.
public enum DatabaseUnavailability {
    public static func explains(_ error: any Error) -> Bool {
        switch error {
        case is PostgresDatabaseError:
            return true
        case let error as PostgresTransactionError:
            let parts: [(any Error)?] = [error.beginError, error.closureError, error.commitError]
            return parts.contains { $0.map(explains) ?? false }
        case let error as PSQLError:
            guard error.code == .server else { return error.code != .tooManyParameters }
            // SQLSTATE classes 08 (connection exception), 53 (insufficient resources) and 57
            // (operator intervention: admin or crash shutdown, "cannot connect now").
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57")
        default:
            return false
        }
    }
}
