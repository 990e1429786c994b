import Synchronization

/// A clock for something done now and then, shared across the writer's value copies.
final class Every: Sendable {
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    /// Whether `interval` has passed since the last time this answered true (true the first
    /// time); answering true starts the next interval.
    func due(every interval: Duration) -> Bool {
        last.withLock { last in
            let now = ContinuousClock.now
            guard last.map({ now - $0 >= interval }) ?? true else { return false }
            last = now
            return true
        }
    }
}
