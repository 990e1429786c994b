import Logging
import MDRSCore
import PostgresNIO
import ServiceLifecycle

/// Asks PostgreSQL `SELECT 1` every `interval` on a connection of its own (not the pool's: a
/// pool busy with requests must not look like a database that is down), and keeps
/// ``DatabaseHealth`` current: down at once when the connection closes or a connection is refused
/// (a crash, a stop, a restart), down when an answer takes longer than `timeout` (a hung server or
/// a cut network), up again at the first answer.
///
/// The timeout is long (15 s) on purpose: a machine under load (a checkpoint's writes, a burst of
/// requests on two cores) can leave `SELECT 1` unanswered for several seconds while every
/// request still completes, and marking the database down then would refuse requests that would
/// have been served. An answer slower than `slowAnswer` is logged, so a database that is nearly
/// out of breath shows before it fails.
public struct DatabaseProbe: Service {
    let configuration: PostgresConnection.Configuration
    let health: DatabaseHealth
    let interval: Duration
    let timeout: Duration
    let slowAnswer: Duration
    let metrics: GatewayMetrics?
    let logger: Logger

    public init(
        configuration: PostgresConnection.Configuration, health: DatabaseHealth, interval: Duration = .milliseconds(250),
        timeout: Duration = .seconds(15), slowAnswer: Duration = .seconds(2), metrics: GatewayMetrics? = nil,
        logger: Logger
    ) {
        self.slowAnswer = slowAnswer
        self.metrics = metrics
        var configuration = configuration
        configuration.options.connectTimeout = .milliseconds(
            Int64(timeout.components.seconds) * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        self.configuration = configuration
        self.health = health
        self.interval = interval
        self.timeout = timeout
        self.logger = logger
    }

    public func run() async throws {
        var connection: PostgresConnection?
        var connectionId = 0
        var outageLogged = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                if connection?.isClosed ?? true {
                    connectionId += 1
                    let opened = try await withDeadline { [configuration, logger, connectionId] in
                        try await PostgresConnection.connect(configuration: configuration, id: connectionId, logger: logger)
                    }
                    // A crash closes it: down at once, not at the next round.
                    _ = ConnectionCloseWatch.shared.watch(opened) { [health] in
                        health.markUnreachable("PostgreSQL closed the probe's connection")
                    }
                    connection = opened
                }
                guard let probing = connection else { continue }
                let asked = ContinuousClock.now
                try await withDeadline { [logger] in
                    try await PostgresDatabase.guarded(probing) { try await $0.query("SELECT 1", logger: logger).collect().count }
                }
                let waited = ContinuousClock.now - asked
                if waited > slowAnswer {
                    logger.warning(
                        "PostgreSQL answered the probe slowly; requests wait as long",
                        metadata: ["seconds": "\(waited.components.seconds)"])
                }
                health.markReachable()
                metrics?.databaseUp(true)
                if outageLogged {
                    logger.notice("PostgreSQL answers again; database requests are served")
                    outageLogged = false
                }
            } catch let error as PSQLError where error.serverInfo?[.sqlState]?.hasPrefix("53") == true {
                // PostgreSQL answered, but has no connection to spare for the probe (too many
                // clients): it is up, and the pool's own connections still work.
                try? await connection?.close()
                connection = nil
                health.markReachable()
                logger.warning(
                    "the database probe gets no connection of its own (raise PostgreSQL's max_connections); the database counts as up",
                    metadata: ["error": "\(String(reflecting: error))"])
            } catch {
                try? await connection?.close()
                connection = nil
                health.markUnreachable("\(error)")
                metrics?.databaseUp(false)
                if !outageLogged {
                    logger.error(
                        "ALERT: PostgreSQL does not answer; every request that needs it is refused (503) until it does",
                        metadata: ["error": "\(error)"])
                    outageLogged = true
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        try? await connection?.close()
    }

    /// `operation`, or a timeout error after `timeout` (the operation is cancelled).
    private func withDeadline<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = self.timeout
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw ProbeTimeout(timeout: timeout)
            }
            return value
        }
    }
}

/// The probe had no answer within its timeout.
struct ProbeTimeout: Error, CustomStringConvertible {
    let timeout: Duration
    var description: String { "PostgreSQL did not answer within \(timeout)" }
}
