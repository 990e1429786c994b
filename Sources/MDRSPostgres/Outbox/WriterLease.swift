import Foundation
import Synchronization

/// This process's hold on the right to write the on-chain log, shared by the writer and the
/// outbox store: the store's writer-side writes each check the current term in their own
/// transaction (``OutboxStore/writerTransaction(_:)``), and throw ``WriterLeaseLost`` without
/// writing when it is not this process's any more.
public final class WriterLease: Sendable {
    /// A held term of the lease.
    public struct Term: Sendable, Equatable {
        public let holder: String
        public let number: Int64
    }

    /// This process, as the lease row names it.
    public let holder: String
    private let current = Mutex<Term?>(nil)

    public init(holder: String = WriterLease.processIdentity()) {
        self.holder = holder
    }

    /// The term this process holds, if any.
    public var term: Term? { current.withLock { $0 } }

    package func begin(_ term: Term) { current.withLock { $0 = term } }

    package func end() { current.withLock { $0 = nil } }

    /// Host, process id and start time: unique among the processes that share a database.
    public static func processIdentity() -> String {
        let host = ProcessInfo.processInfo.hostName
        return "\(host):\(getpid()):\(Int(Date().timeIntervalSince1970 * 1000))"
    }
}

/// A writer-side write found that this process no longer holds the writer's lease (another
/// process took the writing over, or the lease expired): nothing was written.
public struct WriterLeaseLost: Error, CustomStringConvertible {
    public let term: Int64?

    public var description: String {
        term.map { "this process no longer holds the outbox writer's lease (term \($0)): another process writes the log" }
            ?? "this process does not hold the outbox writer's lease"
    }
}
