import PostgresNIO

/// An error described for a log line. A PostgreSQL error gives the client's error code, and
/// for a server error its SQLSTATE and primary message: PSQLError's own description hides all
/// of it, and its reflection carries the statement's detail (which can quote values); the
/// primary message names constraints and relations, never a row's values. Any other error
/// describes itself.
public enum ErrorDescription {
    public static func text(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            guard error.code == .server else {
                let cause = error.underlying.map { ": \(type(of: $0)) \($0)" } ?? ""
                return "PostgreSQL \(error.code)\(cause)"
            }
            let state = error.serverInfo?[.sqlState] ?? "?"
            let message = error.serverInfo?[.message] ?? ""
            return "PostgreSQL server error \(state): \(message)"
        case let error as PostgresTransactionError:
            let parts: [(String, (any Error)?)] = [
                ("begin", error.beginError), ("statement", error.closureError), ("rollback", error.rollbackError), ("commit", error.commitError),
            ]
            return parts.compactMap { name, part in part.map { "\(name): \(text($0))" } }.joined(separator: "; ")
        default:
            return "\(error)"
        }
    }
}
