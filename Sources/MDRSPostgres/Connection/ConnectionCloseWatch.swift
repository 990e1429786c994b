import PostgresNIO
import Synchronization

/// Tells waiters when a PostgreSQL connection closes, with one callback per connection however
/// many operations wait on it (a callback per operation would pile up on a long-lived pooled
/// connection's close future, never to be removed).
final class ConnectionCloseWatch: Sendable {
    static let shared = ConnectionCloseWatch()

    private struct Waiters {
        var next = 0
        var byToken: [Int: @Sendable () -> Void] = [:]
    }

    private let connections = Mutex<[ObjectIdentifier: Waiters]>([:])

    /// Calls `onClose` (once, from the connection's event loop) if `connection` closes before
    /// the returned token is given back to ``stopWatching(_:token:)``. Nil if it is closed
    /// already.
    func watch(_ connection: PostgresConnection, onClose: @escaping @Sendable () -> Void) -> Int? {
        let key = ObjectIdentifier(connection)
        let (token, isFirst) = connections.withLock { connections -> (Int, Bool) in
            var waiters = connections[key] ?? Waiters()
            let isFirst = connections[key] == nil
            waiters.next += 1
            waiters.byToken[waiters.next] = onClose
            connections[key] = waiters
            return (waiters.next, isFirst)
        }
        if isFirst {
            connection.closeFuture.whenComplete { [self] _ in
                let waiters = connections.withLock { $0.removeValue(forKey: key) }
                for waiter in waiters?.byToken.values ?? [:].values { waiter() }
            }
        }
        if connection.isClosed {
            stopWatching(connection, token: token)
            return nil
        }
        return token
    }

    func stopWatching(_ connection: PostgresConnection, token: Int) {
        connections.withLock { _ = $0[ObjectIdentifier(connection)]?.byToken.removeValue(forKey: token) }
    }
}
