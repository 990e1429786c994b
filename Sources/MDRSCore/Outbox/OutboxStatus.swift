import Foundation
import Synchronization

/// What the request paths need to know about the outbox without a query: since when the oldest
/// unlogged *served* access and the oldest unconfirmed anchor wait. Updated by the writer each
/// round and by every insert.
///
/// Denials are deliberately not part of the stall bound: they never wait in front of served
/// rows (the writer takes served rows first), and a flood of them must not be able to stop the
/// hospital from serving.
public final class OutboxStatus: Sendable {
    public enum RowKind: Sendable {
        case served, denial, anchor
    }

    public struct Backlog: Sendable, Equatable {
        /// Rows of every kind waiting for the chain.
        public var depth = 0
        public var oldestServed: Date?
        public var oldestAnchor: Date?
        public var oldestDenial: Date?
        /// Served accesses the contract refused to log, not yet reviewed by an operator.
        public var unreviewedRejections = 0
        /// Emergencies (break-glass) released here that no auditor has reviewed yet, and when
        /// the oldest of them first released a record; nil when not read this time (the last
        /// reading stands).
        public var unreviewedEmergencies: Int?
        public var oldestUnreviewedEmergency: Date?

        public init(
            depth: Int = 0, oldestServed: Date? = nil, oldestAnchor: Date? = nil, oldestDenial: Date? = nil, unreviewedRejections: Int = 0,
            unreviewedEmergencies: Int? = nil, oldestUnreviewedEmergency: Date? = nil
        ) {
            self.unreviewedEmergencies = unreviewedEmergencies
            self.oldestUnreviewedEmergency = oldestUnreviewedEmergency
            self.depth = depth
            self.oldestServed = oldestServed
            self.oldestAnchor = oldestAnchor
            self.oldestDenial = oldestDenial
            self.unreviewedRejections = unreviewedRejections
        }
    }

    private let state = Mutex(Backlog())
    /// False until the backlog has been read from the database once: before that, the ages are
    /// unknown, and a restarted gateway must not serve as if nothing waited.
    private let known = Mutex(false)

    let clock: any WallClock

    public init(clock: any WallClock = SystemClock()) {
        self.clock = clock
    }

    package func update(_ backlog: Backlog) {
        state.withLock { state in
            var next = backlog
            if next.unreviewedEmergencies == nil {
                next.unreviewedEmergencies = state.unreviewedEmergencies
                next.oldestUnreviewedEmergency = state.oldestUnreviewedEmergency
            }
            state = next
        }
        known.withLock { $0 = true }
    }

    /// Whether the backlog has been read from the database since this process started.
    public var isKnown: Bool { known.withLock { $0 } }

    /// A new row waits: it is the oldest of its kind if nothing else of its kind does.
    package func noteInsert(_ kind: RowKind) {
        state.withLock { state in
            let now = clock.now()
            switch kind {
            case .served: if state.oldestServed == nil { state.oldestServed = now }
            case .anchor: if state.oldestAnchor == nil { state.oldestAnchor = now }
            case .denial: if state.oldestDenial == nil { state.oldestDenial = now }
            }
            state.depth += 1
        }
    }

    /// How long the oldest unlogged served access has waited (0 if none): what refuses fetches.
    public var servedAge: TimeInterval { age(\.oldestServed) }

    /// How long the oldest unconfirmed anchor has waited (0 if none): what refuses stores.
    public var anchorAge: TimeInterval { age(\.oldestAnchor) }

    /// How long the oldest unlogged denial has waited (0 if none): reported, never refusing.
    public var denialAge: TimeInterval { age(\.oldestDenial) }

    public var depth: Int { state.withLock { $0.depth } }

    /// Served accesses the chain refused to account for, awaiting review: fetches stop meanwhile.
    public var unreviewedRejections: Int { state.withLock { $0.unreviewedRejections } }

    /// Emergencies released here and not yet reviewed by an auditor.
    public var unreviewedEmergencies: Int { state.withLock { $0.unreviewedEmergencies ?? 0 } }

    /// How long ago the oldest unreviewed emergency first released a record (0 if none).
    public var unreviewedEmergencyAge: TimeInterval { age(\.oldestUnreviewedEmergency) }

    /// A rejection was just recorded (the writer's next refresh confirms the count).
    package func noteRejectedServed() {
        state.withLock { $0.unreviewedRejections += 1 }
    }

    private func age(_ path: KeyPath<Backlog, Date?> & Sendable) -> TimeInterval {
        let now = clock.now()
        return state.withLock { $0[keyPath: path].map { now.timeIntervalSince($0) } ?? 0 }
    }
}
