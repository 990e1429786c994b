import BigInt
import EthereumCore
import EthereumRPC
import Foundation
import Logging
import MDRSCore
import ServiceLifecycle
import Synchronization

/// The gateway's view of the chain: the head it has seen, who is staff (``StaffDirectory``),
/// and grant, staff and anchor reads cached for exactly one block.
///
/// A watcher polls the head; for every new block it reads the contract's logs and drops cached
/// entries the block touched (revocations, new grants, staff changes). An entry is served only
/// if it is valid at the head the watcher has seen, so the cache never answers with state older
/// than that head. A revocation therefore takes effect at most one poll interval (plus one
/// `eth_getBlockByNumber` and one `eth_getLogs` round trip) after its block is produced.
///
/// The view fails closed (``freshHead()`` throws, and nothing is decided) when the last poll
/// failed, when no poll succeeded for `stalenessBound`, when the node says it is syncing, and
/// when the head block itself is older than `maximumHeadAge`: a node that keeps answering but
/// stopped following the chain is as bad as one that is down.
///
/// Reads that authorise a release (grants and staff registrations) can be cross-checked on
/// further nodes (`witnesses`) at the same block; any disagreement refuses the request.
public final class ChainState: Service, Sendable {
    public struct Configuration: Sendable {
        public var expectedChainId: BigUInt
        public var pollInterval: Duration
        /// How old the last successful poll may be.
        public var stalenessBound: Duration
        /// How old the head block's timestamp may be; nil to not check (chains that make no
        /// empty blocks).
        public var maximumHeadAge: Duration?
        /// The first block with contract events (its deployment block).
        public var fromBlock: UInt64
        /// How many blocks a witness may be ahead of the node before the node counts as not
        /// following the chain.
        public var witnessMaximumLag: UInt64 = 3
        /// How far ahead of the gateway's clock the head's timestamp may be; nil: not checked.
        public var maximumClockSkew: Duration? = .seconds(5)

        public init(
            expectedChainId: BigUInt, pollInterval: Duration, stalenessBound: Duration? = nil, maximumHeadAge: Duration? = nil,
            fromBlock: UInt64 = 0, witnessMaximumLag: UInt64 = 3, maximumClockSkew: Duration? = .seconds(5)
        ) {
            self.witnessMaximumLag = witnessMaximumLag
            self.maximumClockSkew = maximumClockSkew
            self.expectedChainId = expectedChainId
            self.pollInterval = pollInterval
            self.stalenessBound = stalenessBound ?? max(pollInterval * 4, .seconds(2))
            self.maximumHeadAge = maximumHeadAge
            self.fromBlock = fromBlock
        }
    }

    public struct Head: Equatable, Sendable {
        public let number: UInt64
        public let hash: Bytes32
        public let timestamp: UInt64
        let observedAt: ContinuousClock.Instant
    }

    struct Cached<Value: Sendable>: Sendable {
        let value: Value
        var validAt: UInt64
    }

    /// What the watcher applied for blocks `from...through`: a read made at a block before
    /// `from` still holds at `through` unless its key was touched.
    struct AppliedChange: Sendable {
        let from: UInt64
        let through: UInt64
        let tokens: Set<Bytes32>
        let staff: Set<Address>
        let custodians: Set<Address>
    }

    struct State: Sendable {
        var head: Head?
        var grants: [Bytes32: Cached<GrantState?>] = [:]
        var staff: [Address: Cached<StaffRegistration>] = [:]
        var custodians: [Address: Cached<Bool>] = [:]
        /// Anchors never change once written, so they are kept until evicted for size.
        var anchors: [Bytes32: AnchoredRecord] = [:]
        var directory: StaffDirectory?
        var lastError: String?
        var lastErrorIsDisagreement = false
        var chainIdVerified = false
        var headTooOld = false
        /// When the node last said it was not syncing (asked again every `syncingCheckInterval`).
        var notSyncingAt: ContinuousClock.Instant?
        /// The outbox's own transactions, sent but not yet seen in a block.
        var ownTransactions = OwnTransactions(capacity: ChainState.maximumOwnTransactions)
        /// The last changes applied, contiguous, oldest first; cleared when the cache is flushed.
        var recentChanges = [AppliedChange]()
        /// Counts the flushes: a read started before one (a reorganisation, another branch at
        /// the same height) is neither shared with later requests nor cached.
        var generation: UInt64 = 0

        /// Whether nothing applied after block `readAt` up to the head touched what `touched`
        /// tests, as far as the recent changes reach back.
        func unchanged(since readAt: UInt64, _ touched: (AppliedChange) -> Bool) -> Bool {
            guard let head, head.number > readAt else { return head?.number == readAt }
            let after = recentChanges.drop { $0.through <= readAt }
            guard let first = after.first, first.from <= readAt + 1, after.last?.through == head.number else { return false }
            return !after.contains(where: touched)
        }
    }

    public let contract: MedicalAccessContract
    /// Further nodes on which authorising reads are repeated and compared.
    public let witnesses: [MedicalAccessContract]
    public let configuration: Configuration
    let metrics: GatewayMetrics
    /// The gateway's clock, against which the head's age is measured.
    let clock: any WallClock
    let logger: Logger
    let state = Mutex(State())
    static let maximumEntries = 100_000
    /// How often a node that said it was not syncing is asked again. A node that says it is
    /// syncing is asked at every poll until it says it is not.
    static let syncingCheckInterval = Duration.seconds(5)
    /// The most own transactions remembered (a forgotten one only costs an `eth_getLogs`).
    static let maximumOwnTransactions = 1_024
    /// How many applied changes are kept for reads that finish after the head moved on.
    static let maximumRecentChanges = 32

    let grantReads = SharedReads<Bytes32, GrantState?>()
    let staffReads = SharedReads<Address, StaffRegistration>()
    let custodianReads = SharedReads<Address, Bool>()
    let anchorReads = SharedReads<Bytes32, AnchoredRecord?>()
    /// Blocks per `eth_getLogs` (Besu's default `--rpc-max-logs-range` is 5000).
    static let logWindow: UInt64 = 5000

    public init(
        contract: MedicalAccessContract, witnesses: [MedicalAccessContract] = [], configuration: Configuration,
        metrics: GatewayMetrics, clock: any WallClock = SystemClock(), logger: Logger
    ) {
        self.contract = contract
        self.witnesses = witnesses
        self.configuration = configuration
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
    }

    /// Notes a transaction the outbox writer sent: a `publish` or `logAccess` of the configured
    /// contract, which anchors records and logs accesses and changes no grant, staff member or
    /// custodian. A new block holding only such transactions is not read for logs.
    public func noteOwnTransaction(_ hash: Bytes32) {
        state.withLock { $0.ownTransactions.note(hash) }
    }

    /// The head, if it is recent enough to decide on; otherwise the chain counts as unavailable.
    public func freshHead() throws -> Head {
        let (head, lastError, disagreement) = state.withLock { ($0.head, $0.lastError, $0.lastErrorIsDisagreement) }
        guard let head else {
            throw ChainError(.unavailable, "the chain head has not been read yet" + (lastError.map { ": \($0)" } ?? ""))
        }
        if let lastError {
            // The last poll failed: the node is unreachable now, so no cached state is trusted.
            if disagreement { throw ChainError(.disagreement, "the chain nodes disagree about the head: \(lastError)") }
            throw ChainError(.unavailable, "the chain node did not answer the last poll: \(lastError)")
        }
        let sincePoll = ContinuousClock.now - head.observedAt
        guard sincePoll <= configuration.stalenessBound else {
            throw ChainError(.unavailable, "the chain head is stale (last read \(sincePoll) ago)")
        }
        let clockNow = clock.unixTime
        if let skew = configuration.maximumClockSkew, Double(head.timestamp) > Double(clockNow) + skew.seconds {
            throw ChainError(
                .unavailable,
                "the node's latest block \(head.number) is dated \(head.timestamp - clockNow) s ahead of this gateway's clock (chain.max_clock_skew_seconds): the node, or a clock, is wrong")
        }
        if let maximumHeadAge = configuration.maximumHeadAge {
            let now = clock.unixTime
            let age = now > head.timestamp ? now - head.timestamp : 0
            guard Double(age) <= maximumHeadAge.seconds else {
                throw ChainError(
                    .unavailable,
                    "the node's latest block \(head.number) is \(age) s old: the node has stopped following the chain")
            }
        }
        return head
    }

    /// Unix time for expiry checks: the later of this machine's clock and the head's timestamp,
    /// so a grant the chain already considers expired is never served.
    public func now() throws -> UInt64 {
        max(clock.unixTime, try freshHead().timestamp)
    }

    /// The grant with `token` at the current head; nil if there is none.
    public func grant(_ token: Bytes32) async throws -> GrantState? {
        try await cachedRead(\.grants, grantReads, key: token, hit: metrics.grantCache(hit:), touched: { $0.tokens.contains(token) }) {
            [self] head in
            let grant = try await agreedRead("getGrant", at: head) { try await $0.grant(token, at: $1) }
            if grant == nil, let newer = await catchUp(from: head) {
                // A token granted in a block the watcher had not reached: a doctor typically
                // fetches right after the patient's grant lands. Read again at the newer head.
                return (try await agreedRead("getGrant", at: newer) { try await $0.grant(token, at: $1) }, newer)
            }
            return (grant, head)
        }
    }

    /// Brings the watcher's head up to the node's (polling at once if the node is ahead) and
    /// returns it if it is newer than `readAt`, the head a read was made at. An unknown token
    /// costs one `eth_blockNumber` more, never a log scan unless blocks are new.
    func catchUp(from readAt: UInt64) async -> UInt64? {
        metrics.chainCall("eth_blockNumber")
        if let latest = try? await contract.client.blockNumber(), latest > (state.withLock { $0.head?.number } ?? 0) {
            await poll()
        }
        guard let head = try? freshHead(), head.number > readAt else { return nil }
        return head.number
    }

    /// The registration of `staff` at the current head; nil if it is not registered staff of
    /// any custodian. A signer the ``StaffDirectory`` does not know costs no chain read.
    public func staff(_ staff: Address) async throws -> StaffRegistration? {
        guard state.withLock({ $0.directory?.contains(staff) ?? false }) else {
            _ = try freshHead()  // unknown at a head too old to decide on is still no answer
            return nil
        }
        let registration = try await cachedRead(\.staff, staffReads, key: staff, touched: { $0.staff.contains(staff) }) {
            [self] head in
            (try await agreedRead("getStaff", at: head) { try await $0.staff(staff, at: $1) }, head)
        }
        return registration.isRegistered ? registration : nil
    }

    /// Whether `staff` could be registered staff, from the directory alone (no chain read).
    public func mayBeStaff(_ staff: Address) -> Bool {
        state.withLock { $0.directory?.contains(staff) ?? false }
    }

    /// Whether `custodian` is an active custodian at the current head.
    public func custodianActive(_ custodian: Address) async throws -> Bool {
        try await cachedRead(\.custodians, custodianReads, key: custodian, touched: { $0.custodians.contains(custodian) }) {
            [self] head in
            metrics.chainCall("getCustodian")
            return (try await contract.custodian(custodian, at: .number(head)).active, head)
        }
    }

    /// The anchor of `recordId`; nil if not anchored (a miss is not cached: it may come).
    public func anchor(_ recordId: Bytes32) async throws -> AnchoredRecord? {
        let head = try freshHead()
        if let cached = state.withLock({ $0.anchors[recordId] }) { return cached }
        return try await anchorReads.value(for: recordId, at: head.number, generation: state.withLock { $0.generation }) { [self] in
            metrics.chainCall("getRecord")
            var anchor = try await contract.record(recordId, at: .number(head.number))
            if anchor == nil, let newer = await catchUp(from: head.number) {
                // Anchored in a block the watcher has not reached yet (the outbox saw its receipt first).
                metrics.chainCall("getRecord")
                anchor = try await contract.record(recordId, at: .number(newer))
            }
            guard let anchor else { return nil }
            state.withLock { state in
                if state.anchors.count >= Self.maximumEntries { state.anchors.removeAll() }
                state.anchors[recordId] = anchor
            }
            return anchor
        }
    }

    /// Reads at block `number` from the node and from every witness, and returns the answer
    /// only if they all agree. A witness that has not reached the block yet is given a moment.
    func agreedRead<Value: Equatable & Sendable>(
        _ name: String, at number: UInt64, _ read: @Sendable (MedicalAccessContract, BlockTag) async throws -> Value
    ) async throws -> Value {
        metrics.chainCall(name)
        let answer = try await read(contract, .number(number))
        for (index, witness) in witnesses.enumerated() {
            var attempt = 0
            while true {
                metrics.chainCall(name)
                do {
                    let other = try await read(witness, .number(number))
                    guard other == answer else {
                        metrics.chainDisagreement(name)
                        logger.error(
                            "ALERT: chain nodes disagree on the contract's state; refusing to decide",
                            metadata: ["read": "\(name)", "block": "\(number)", "witness": "\(index + 1)"])
                        throw ChainError(.disagreement, "the chain nodes disagree about \(name) at block \(number)")
                    }
                    break
                } catch let error as ChainError where error.code != .disagreement && error.code != .reverted {
                    // Most likely behind by a block or two; else unreachable.
                    attempt += 1
                    guard attempt < 10 else {
                        throw ChainError(.unavailable, "witness node \(index + 1) cannot answer \(name) at block \(number): \(error.message)")
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        return answer
    }

    /// A read cached for one block: the entry valid at the head, else one chain read shared by
    /// the concurrent misses at that head (see ``SharedReads``). `read` gets the head's number
    /// and returns the value with the block it was read at (a newer one if it caught up).
    private func cachedRead<Key: Hashable & Sendable, Value: Sendable>(
        _ path: WritableKeyPath<State, [Key: Cached<Value>]> & Sendable, _ reads: SharedReads<Key, Value>, key: Key,
        hit: (Bool) -> Void = { _ in }, touched: @escaping @Sendable (AppliedChange) -> Bool,
        read: @escaping @Sendable (UInt64) async throws -> (Value, readAt: UInt64)
    ) async throws -> Value {
        // Taken before the head: a flush between the two makes this read's result unshared and uncached.
        let generation = state.withLock { $0.generation }
        let head = try freshHead().number
        if let cached = state.withLock({ $0[keyPath: path][key] }), cached.validAt == head {
            hit(true)
            return cached.value
        }
        hit(false)
        return try await reads.value(for: key, at: head, generation: generation) { [self] in
            let (value, readAt) = try await read(head)
            store(path, key: key, value: value, readAt: readAt, generation: generation, touched: touched)
            return value
        }
    }

    /// Caches a read made at block `readAt` as valid at the head. If the head moved on meanwhile,
    /// the watcher has already applied the blocks after `readAt` without this entry: it is kept
    /// only if the recent changes reach back to `readAt` and none of them `touched` it;
    /// otherwise the next request reads again.
    private func store<Key: Hashable, Value: Sendable>(
        _ path: WritableKeyPath<State, [Key: Cached<Value>]> & Sendable, key: Key, value: Value, readAt: UInt64,
        generation: UInt64, touched: (AppliedChange) -> Bool
    ) {
        state.withLock { state in
            guard state.generation == generation, let head = state.head?.number, state.unchanged(since: readAt, touched) else { return }
            if state[keyPath: path].count >= Self.maximumEntries { state[keyPath: path].removeAll() }
            state[keyPath: path][key] = Cached(value: value, validAt: head)
        }
    }

    /// Polls until graceful shutdown.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.pollWithinBound()
                try await Task.sleep(for: self.configuration.pollInterval)
            }
        }
    }

    /// A poll that has no answer within the staleness bound fails then, as a poll that got an
    /// error does: serving stops at that moment, not when the node's RPC timeout (or the HTTP
    /// client's reconnection attempts to a node that went away) finally ends it.
    func pollWithinBound() async {
        let bound = configuration.stalenessBound
        let answered = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.poll()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: bound)
                return false
            }
            defer { group.cancelAll() }
            return await group.next() ?? true
        }
        guard !answered, !Task.isCancelled else { return }
        state.withLock {
            $0.notSyncingAt = nil
            $0.lastError = "no answer within \(bound)"
            $0.lastErrorIsDisagreement = false
        }
        logger.warning("chain head poll got no answer within chain.head_staleness_ms; nothing is served until one does", metadata: ["bound": "\(bound)"])
    }
}
