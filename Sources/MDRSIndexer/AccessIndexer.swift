import EthereumCore
import Logging
import MDRSChain
import MDRSCore
import MDRSPostgres
import MDRSProtocol
import ServiceLifecycle
import Synchronization

/// Keeps the audit index (`chain_accesses`) in step with the chain: reads this custodian's
/// `Accessed` events in windows from the configured start block up to the head the chain
/// view's watcher has seen, and again whenever that head moves. Before reading on, it checks
/// that the last block it read is still the chain's; if a reorganisation replaced it, the rows
/// after the fork are dropped and read again. An audit request calls ``catchUp(to:)`` first,
/// so its answer is current.
///
/// The loop reads nothing while the watcher's head is the block it indexed last (same number,
/// same hash): the watcher already polls the chain, and an idle index must not add to that.
package struct AccessIndexer: Service {
    let reader: AccessLogReader
    let store: AccessIndexStore
    let chain: ChainState
    let interval: Duration
    let logger: Logger
    private let mutex = AsyncMutex()
    /// The consistency check, run as the index reads new blocks (at most every
    /// ``checkInterval``), so that a late release or a gap raises its alert without an auditor
    /// asking.
    package var checker: AuditChecker?
    static let checkInterval = Duration.seconds(10)
    private let lastCheck = LastCheck()

    package init(reader: AccessLogReader, store: AccessIndexStore, chain: ChainState, interval: Duration, logger: Logger) {
        self.reader = reader
        self.store = store
        self.chain = chain
        self.interval = interval
        self.logger = logger
    }

    /// When the background check last ran.
    final class LastCheck: Sendable {
        let at = Mutex<ContinuousClock.Instant?>(nil)
    }

    package func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    do {
                        try await step()
                    } catch is CancellationError {
                        return
                    } catch {
                        logger.warning("the audit index could not read the chain; trying again", metadata: ["error": "\(ErrorDescription.text(error))"])
                    }
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            // Shutting down: the sleep was cut short. A service that throws would cancel the
            // whole group, with requests still in flight.
        }
    }

    /// One round of the background loop: nothing while the chain view cannot vouch for a head
    /// (its watcher reports why) or while that head is the block indexed last.
    private func step() async throws {
        guard let head = try? chain.freshHead() else { return }
        let position = try await store.position()
        if position.indexedThrough == Int64(clamping: head.number), position.hash == head.hash { return }
        // Anything else (a new head, the same height with another hash, a shorter chain) goes
        // through the repair check.
        try await catchUp(to: head.number, hash: head.hash, force: true)
        guard let checker else { return }
        let due = lastCheck.at.withLock { last in
            guard last.map({ ContinuousClock.now - $0 >= Self.checkInterval }) ?? true else { return false }
            last = .now
            return true
        }
        if due { _ = try await checker.check(restart: false) }
    }

    /// Reads until the index holds every block up to `head` (the chain view's, which its
    /// watcher keeps; nil to ask the audit node). An index already past it, or at it with the
    /// same `hash` (nil: not known), answers without a chain read unless `force`; otherwise the
    /// last block read is checked for a reorganisation first. If the audit node has not reached
    /// `head` yet, the index goes as far as the node has.
    @discardableResult
    package func catchUp(to head: UInt64? = nil, hash: Bytes32? = nil, force: Bool = false) async throws -> AccessIndexStore.Position {
        if !force, let head {
            let position = try await store.position(), target = Int64(clamping: head)
            if position.indexedThrough > target || (position.indexedThrough == target && (hash == nil || position.hash == hash)) {
                return position
            }
        }
        return try await mutex.withLock {
            let target: Int64
            if let head { target = Int64(clamping: head) } else { target = Int64(clamping: try await reader.head()) }
            var position = try await store.position()
            var attempts = 0
            while true {
                position = try await repairReorganisation(position)
                guard position.indexedThrough < target else { return position }
                guard let next = try await read(after: position, head: target) else { return position }  // the node is behind
                if next == position {
                    // The chain moved under the read: look again, a few times.
                    attempts += 1
                    guard attempts < 5 else { throw ChainError(.unavailable, "the audit node's chain kept changing while it was read") }
                }
                position = next
            }
        }
    }

    /// Reads one window after `position` and appends it; the same position if the window's last
    /// block changed while it was read, nil if the audit node has no such block yet.
    private func read(after position: AccessIndexStore.Position, head: Int64) async throws -> AccessIndexStore.Position? {
        let from = UInt64(position.indexedThrough + 1)
        let to = min(from + AccessLogReader.logWindow - 1, UInt64(head))
        // The window's last block pins its ancestors: if it is the same before and after the log
        // read, the logs are those of that chain.
        guard let before = try await reader.blockHash(to) else { return nil }
        let entries = try await reader.entries(from: from, to: to)
        guard try await reader.blockHash(to) == before, entries.allSatisfy({ $0.blockNumber != to || $0.blockHash == before }) else {
            return position
        }
        guard try await store.append(entries, after: position.indexedThrough, through: Int64(to), hash: before) else {
            return try await store.position()  // another gateway's indexer got there first
        }
        if entries.count > 0 || to - from > 100 {
            logger.debug("audit index read", metadata: ["from": "\(from)", "to": "\(to)", "entries": "\(entries.count)"])
        }
        return AccessIndexStore.Position(indexedThrough: Int64(to), checkedThrough: position.checkedThrough, hash: before)
    }

    /// If the last block read is no longer the chain's, drops what was read after the newest
    /// kept block that still is (or everything, when none is) and returns the new position.
    private func repairReorganisation(_ position: AccessIndexStore.Position) async throws -> AccessIndexStore.Position {
        guard let hash = position.hash, position.indexedThrough >= 0 else { return position }
        let current = try await reader.blockHash(UInt64(position.indexedThrough))
        guard let current, current != hash else { return position }  // nil: the node is behind; the loop waits
        var fork: Int64 = -1
        for block in try await store.recentBlocks(atOrBelow: position.indexedThrough - 1) {
            if try await reader.blockHash(UInt64(block.number)) == block.hash {
                fork = block.number
                break
            }
        }
        logger.warning(
            "the chain reorganised: the audit index drops what it read after the fork and reads it again",
            metadata: ["indexedThrough": "\(position.indexedThrough)", "fork": "\(fork)"])
        try await store.rewind(to: fork)
        return try await store.position()
    }
}
