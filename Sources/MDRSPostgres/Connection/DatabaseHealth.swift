import Foundation
import Synchronization

/// Whether PostgreSQL answers, as the ``DatabaseProbe`` last found, and a way to be woken when it
/// stops: uses of the database in flight are then given up at once (answered 503) instead of
/// waiting for a connection the pool cannot make.
public final class DatabaseHealth: Sendable {
    private struct State {
        var reachable = true
        var since = ContinuousClock.now
        var lastError: String?
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// False from the probe's first failure until its next success.
    public var isReachable: Bool { state.withLock { $0.reachable } }

    /// What the last failure was (for the operators' readiness details and the log).
    public var lastError: String? { state.withLock { $0.lastError } }

    package func markReachable() {
        state.withLock {
            if !$0.reachable { $0.since = .now }
            $0.reachable = true
            $0.lastError = nil
        }
    }

    /// Records an outage and wakes everything waiting for one. True if it was reachable before.
    @discardableResult
    package func markUnreachable(_ error: String) -> Bool {
        let (wasReachable, waiters) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            let was = state.reachable
            state.reachable = false
            state.lastError = error
            if was { state.since = .now }
            defer { state.waiters = [:] }
            return (was, Array(state.waiters.values))
        }
        for waiter in waiters { waiter.resume() }
        return wasReachable
    }

    /// Returns when the database is found unreachable (at once if it is), or when the task is
    /// cancelled.
    package func outage() async {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.reachable || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
