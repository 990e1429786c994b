import EthereumCore
import Foundation
import Logging
import MDRSCore
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Writes concurrent releases' nonce claims and access rows in groups: one statement and one
/// COMMIT for whatever arrived while the previous group's commit ran, instead of one of each
/// per fetch.
///
/// The guarantees are those of ``OutboxStore/insert(_:onChain:clientAddress:emergency:claiming:)``,
/// group by group: a request is answered only once its group's COMMIT has answered (the row is
/// durable); a nonce claimed twice in one group is claimed by the request that arrived first, and
/// the later one is answered "used"; a group that fails on the database's side (a lost
/// connection, a server going down) fails each of its requests with that error, and a group that
/// fails for any other reason is written again one request at a time, so each gets its own
/// answer and one bad row cannot refuse the others.
///
/// A single waiting release is written with the prepared single-row statement. With groups of
/// at most one, before the service runs and after it has stopped, each release is written on
/// its own by its caller, concurrently with the others.
public final class AccessGroupCommit: Service, Sendable {
    /// One release waiting for its group.
    struct Waiter: Sendable {
        let access: AccessRecord
        let clientAddress: String?
        let nonce: NonceClaim
        let continuation: CheckedContinuation<Bool, any Error>
    }

    private struct State {
        var queue: [Waiter] = []
        var running = false
        var closed = false
    }

    private let store: OutboxStore
    private let maximumGroup: Int
    private let metrics: GatewayMetrics
    private let logger: Logger
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    /// - Parameter maximumGroup: at most this many releases per statement; more wait for the next.
    public init(store: OutboxStore, maximumGroup: Int = 256, metrics: GatewayMetrics, logger: Logger) {
        self.store = store
        self.maximumGroup = max(1, maximumGroup)
        self.metrics = metrics
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Claims the request's nonce and writes its served row, with the rows of the releases
    /// waiting beside it. Returns false, with nothing written for it, if the nonce was used;
    /// returns true only once the row is durable.
    public func logServed(_ access: AccessRecord, clientAddress: String?, claiming nonce: NonceClaim) async throws -> Bool {
        guard maximumGroup > 1 else { return try await store.insert(access, onChain: true, clientAddress: clientAddress, claiming: nonce) }
        return try await withCheckedThrowingContinuation { continuation in
            let waiter = Waiter(access: access, clientAddress: clientAddress, nonce: nonce, continuation: continuation)
            let queued = state.withLock { state in
                guard state.running, !state.closed else { return false }
                state.queue.append(waiter)
                return true
            }
            if queued {
                wake.yield()
            } else {
                Task { await self.write([waiter]) }
            }
        }
    }

    /// Whether releases join groups now (the service runs and is not shutting down).
    var isRunning: Bool { state.withLock { $0.running && !$0.closed } }

    public func run() async throws {
        state.withLock { $0.running = true }
        for await _ in wakeups.cancelOnGracefulShutdown() {
            while let group = nextGroup() { await write(group) }
        }
        // Shutting down: nothing joins the queue any more; what waits in it is written.
        state.withLock { $0.closed = true }
        while let group = nextGroup() { await write(group) }
    }

    private func nextGroup() -> [Waiter]? {
        state.withLock { state in
            guard !state.queue.isEmpty else { return nil }
            let count = min(state.queue.count, maximumGroup)
            let group = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return group
        }
    }

    /// Writes one group and answers each of its waiters.
    func write(_ group: [Waiter]) async {
        // The first request to name a nonce claims it; a later one in the same group is told it
        // was used once the first's fate is known (if the first fails, so does it).
        var claimantOf = [NonceKey: Int](), claimants = [Waiter]()
        let roles = group.map { waiter -> (claimant: Int, claims: Bool) in
            if let claimant = claimantOf[NonceKey(waiter.nonce)] { return (claimant, false) }
            claimantOf[NonceKey(waiter.nonce)] = claimants.count
            claimants.append(waiter)
            return (claimants.count - 1, true)
        }
        metrics.accessGroup(rows: claimants.count)
        var outcomes: [Result<Bool, any Error>]
        if claimants.count == 1 {
            outcomes = [await single(claimants[0])]
        } else {
            do {
                let written = try await store.insertServed(claimants.map { ($0.access, $0.clientAddress, $0.nonce) })
                outcomes = claimants.map { .success(written.contains($0.access.requestId)) }
            } catch where DatabaseUnavailability.explains(error) {
                outcomes = claimants.map { _ in .failure(error) }
            } catch {
                logger.warning(
                    "a group of access rows failed; writing them one at a time",
                    metadata: ["rows": "\(claimants.count)", "error": "\(ErrorDescription.text(error))"])
                outcomes = []
                for waiter in claimants { outcomes.append(await single(waiter)) }
            }
        }
        for (waiter, role) in zip(group, roles) {
            waiter.continuation.resume(with: role.claims ? outcomes[role.claimant] : outcomes[role.claimant].map { _ in false })
        }
    }

    /// One release on its own, with the prepared single-row statement.
    private func single(_ waiter: Waiter) async -> Result<Bool, any Error> {
        do {
            return .success(try await store.insert(waiter.access, onChain: true, clientAddress: waiter.clientAddress, claiming: waiter.nonce))
        } catch {
            return .failure(error)
        }
    }

    /// A nonce as the database keys it: one signer's one value.
    private struct NonceKey: Hashable {
        let signer: Address
        let nonce: Bytes32
        init(_ claim: NonceClaim) {
            signer = claim.signer
            nonce = claim.nonce
        }
    }
}
