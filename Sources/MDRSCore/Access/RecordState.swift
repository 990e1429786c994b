/// A stored record's life (`records.state`).
package enum RecordState: String, Sendable, CaseIterable {
    /// Chunks are arriving; invisible to reads.
    case writing
    case complete
    /// Erased: the wrapped data key is gone, the chunks are unreadable.
    case shredded
}

/// An outbox batch transaction's life (`outbox_batches.state`).
package enum BatchState: String, Sendable, CaseIterable {
    /// Sent (and perhaps replaced); no receipt yet.
    case sent
    /// A receipt, not yet deep enough to count.
    case mined
    case confirmed
    /// Gone from the pool or reorged out: its rows go back to pending.
    case dropped
}
