import Synchronization

/// Concurrent reads of the same key at the same head share one chain read: when a burst of
/// fetches for one grant arrives at a new block, the node is asked once, not once per fetch.
///
/// A read in flight is kept only until it completes (so the table is bounded by the requests in
/// flight); its result is cached, or not, by the caller as before.
final class SharedReads<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct AtHead: Hashable, Sendable {
        let key: Key
        let head: UInt64
        /// The chain view's flush count when the read began (see `ChainState.State.generation`).
        let generation: UInt64
    }

    private let inFlight = Mutex<[AtHead: Task<Value, any Error>]>([:])

    /// The answer of the read in flight for `key` at `head` (in the same flush generation), or
    /// of `read`, started now, if there is none.
    func value(
        for key: Key, at head: UInt64, generation: UInt64, _ read: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let key = AtHead(key: key, head: head, generation: generation)
        let task = inFlight.withLock { reads in
            if let running = reads[key] { return running }
            // Created under the lock, so the task's own removal (which takes the lock) always
            // comes after its insertion.
            let task = Task { [self] in
                defer { _ = inFlight.withLock { $0.removeValue(forKey: key) } }
                return try await read()
            }
            reads[key] = task
            return task
        }
        return try await task.value
    }
}
