/// Lets one task at a time through a critical section that suspends (a `Mutex` cannot be held
/// across an `await`): the indexer's background loop and an auditor's catch-up never read the
/// same blocks twice at once.
actor AsyncMutex {
    private var locked = false
    private var waiters = [CheckedContinuation<Void, Never>]()

    func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await lock()
        defer { unlock() }
        return try await body()
    }

    private func lock() async {
        guard locked else {
            locked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func unlock() {
        if waiters.isEmpty {
            locked = false
        } else {
            waiters.removeFirst().resume()  // the lock passes on, still held
        }
    }
}
