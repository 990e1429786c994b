import Logging
import ServiceLifecycle
import Synchronization

/// Lets the requests in flight finish before the server stops: on graceful shutdown (SIGTERM)
/// readiness turns false at once, so that a proxy stops sending here, and the server's own
/// shutdown waits until every request has written its whole response, or `timeout` passed.
///
/// It must be shut down before the server (after it, in a `ServiceGroup`'s list): the server's
/// graceful shutdown closes each connection as soon as its response is done, so it begins only
/// once every response has been written (``FlushBeforeCloseHandler`` then holds each close until
/// the socket took the bytes).
public final class RequestDrain: Service, Sendable {
    let timeout: Duration
    /// After the last response is written, before the server begins to stop (its last bytes
    /// are held by ``FlushBeforeCloseHandler`` until the socket took them).
    let linger: Duration
    let logger: Logger
    private let state = Mutex<(inFlight: Int, draining: Bool)>((0, false))

    public init(timeout: Duration, linger: Duration = .milliseconds(100), logger: Logger) {
        self.timeout = timeout
        self.linger = linger
        self.logger = logger
    }

    /// Whether a graceful shutdown has begun.
    public var isDraining: Bool { state.withLock { $0.draining } }

    var inFlight: Int { state.withLock { $0.inFlight } }

    func begin() { state.withLock { $0.inFlight += 1 } }

    func end() { state.withLock { $0.inFlight -= 1 } }

    public func run() async throws {
        // Until the graceful shutdown; a cancellation ends it at once.
        try? await gracefulShutdown()
        guard !Task.isCancelled else { return }
        let waiting = state.withLock { state -> Int in
            state.draining = true
            return state.inFlight
        }
        logger.notice("shutting down: readiness is false; waiting for the requests in flight", metadata: ["inFlight": "\(waiting)"])
        let deadline = ContinuousClock.now + timeout
        while inFlight > 0, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
        }
        let left = inFlight
        if left > 0 {
            logger.warning("the drain timeout passed with requests in flight; they are cut off", metadata: ["inFlight": "\(left)"])
        } else {
            try? await Task.sleep(for: linger)
            logger.notice("every request in flight finished; the server stops")
        }
    }
}
