import Foundation
import Synchronization

/// What the fetch path needs to know about the outbox without a query: since when the oldest
/// unlogged row waits. Updated by the writer each round and by every insert.
public final class OutboxStatus: Sendable {
    private let state = Mutex<(oldest: Date?, depth: Int, lastRound: Date?)>((nil, 0, nil))

    public init() {}

    func update(oldest: Date?, depth: Int) {
        state.withLock { $0 = (oldest, depth, Date()) }
    }

    /// A new row waits: it is the oldest if nothing else does.
    func noteInsert() {
        state.withLock { state in
            if state.oldest == nil { state.oldest = Date() }
            state.depth += 1
        }
    }

    /// How long the oldest unlogged row has waited (0 if none).
    public var oldestAge: TimeInterval {
        state.withLock { $0.oldest.map { Date().timeIntervalSince($0) } ?? 0 }
    }

    public var depth: Int { state.withLock { $0.depth } }
}
