import BigInt
import Ethereum
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The gateway's view of the chain: the head it has seen, and grant, staff and anchor reads
/// cached for exactly one block.
///
/// A watcher polls the head; for every new block it reads the contract's logs and drops cached
/// entries the block touched (revocations, new grants, staff changes). An entry is served only
/// if it is valid at the head the watcher has seen, so the cache never answers with state older
/// than that head. A revocation therefore takes effect at most one poll interval (plus one
/// `eth_getLogs` round trip) after its block is produced. If the head cannot be refreshed for
/// `stalenessBound`, the view reports the chain unavailable and the gateway fails closed.
public final class ChainState: Service, Sendable {
    public struct Head: Equatable, Sendable {
        public let number: UInt64
        public let hash: Bytes32
        public let timestamp: UInt64
        let observedAt: ContinuousClock.Instant
    }

    private struct Cached<Value: Sendable>: Sendable {
        let value: Value
        var validAt: UInt64
    }

    private struct State: Sendable {
        var head: Head?
        var grants: [Bytes32: Cached<GrantState?>] = [:]
        var staff: [Address: Cached<Address?>] = [:]
        var custodians: [Address: Cached<Bool>] = [:]
        /// Anchors never change once written, so they are kept until evicted for size.
        var anchors: [Bytes32: AnchoredRecord] = [:]
        var lastError: String?
        var chainIdVerified = false
    }

    public let contract: MedicalAccessContract
    let expectedChainId: BigUInt
    let pollInterval: Duration
    let stalenessBound: Duration
    let metrics: GatewayMetrics
    let logger: Logger
    private let state = Mutex(State())
    static let maximumEntries = 100_000

    public init(
        contract: MedicalAccessContract, pollInterval: Duration, stalenessBound: Duration? = nil, expectedChainId: BigUInt,
        metrics: GatewayMetrics, logger: Logger
    ) {
        self.contract = contract
        self.expectedChainId = expectedChainId
        self.pollInterval = pollInterval
        self.stalenessBound = stalenessBound ?? max(pollInterval * 4, .seconds(2))
        self.metrics = metrics
        self.logger = logger
    }

    /// The head, if it was refreshed recently enough to decide on; otherwise the chain counts as
    /// unavailable.
    public func freshHead() throws -> Head {
        let (head, lastError) = state.withLock { ($0.head, $0.lastError) }
        guard let head else {
            throw ChainError(.unavailable, "the chain head has not been read yet" + (lastError.map { ": \($0)" } ?? ""))
        }
        if let lastError {
            // The last poll failed: the node is unreachable now, so no cached state is trusted.
            throw ChainError(.unavailable, "the chain node did not answer the last poll: \(lastError)")
        }
        guard ContinuousClock.now - head.observedAt <= stalenessBound else {
            throw ChainError(.unavailable, "the chain head is stale (last read \(ContinuousClock.now - head.observedAt) ago)" + (lastError.map { ": \($0)" } ?? ""))
        }
        return head
    }

    /// Unix time for expiry checks: the later of this machine's clock and the head's timestamp,
    /// so a grant the chain already considers expired is never served.
    public func now() throws -> UInt64 {
        max(UInt64(Date().timeIntervalSince1970), try freshHead().timestamp)
    }

    /// The grant with `token` at the current head; nil if there is none.
    public func grant(_ token: Bytes32) async throws -> GrantState? {
        let head = try freshHead()
        if let cached = state.withLock({ $0.grants[token] }), cached.validAt == head.number {
            metrics.grantCache(hit: true)
            return cached.value
        }
        metrics.grantCache(hit: false)
        metrics.chainCall("getGrant")
        var grant = try await contract.grant(token, at: .number(head.number))
        var readAt = head.number
        if grant == nil, let newer = await catchUp(from: head.number) {
            // A token granted in a block the watcher had not reached: a doctor typically
            // fetches right after the patient's grant lands. Read again at the newer head.
            readAt = newer
            metrics.chainCall("getGrant")
            grant = try await contract.grant(token, at: .number(readAt))
        }
        store(\.grants, key: token, value: grant, readAt: readAt)
        return grant
    }

    /// Brings the watcher's head up to the node's (polling at once if the node is ahead) and
    /// returns it if it is newer than `readAt`, the head a read was made at. An unknown token
    /// costs one `eth_blockNumber` more, never a log scan unless blocks are new.
    private func catchUp(from readAt: UInt64) async -> UInt64? {
        metrics.chainCall("eth_blockNumber")
        if let latest = try? await contract.client.blockNumber(), latest > (state.withLock { $0.head?.number } ?? 0) {
            await poll()
        }
        guard let head = try? freshHead(), head.number > readAt else { return nil }
        return head.number
    }

    /// The custodian that registered `staff` at the current head; nil if not registered.
    public func staffCustodian(_ staff: Address) async throws -> Address? {
        let head = try freshHead()
        if let cached = state.withLock({ $0.staff[staff] }), cached.validAt == head.number {
            return cached.value
        }
        metrics.chainCall("staffCustodian")
        let custodian = try await contract.staffCustodian(staff, at: .number(head.number))
        store(\.staff, key: staff, value: custodian, readAt: head.number)
        return custodian
    }

    /// Whether `custodian` is an active custodian at the current head.
    public func custodianActive(_ custodian: Address) async throws -> Bool {
        let head = try freshHead()
        if let cached = state.withLock({ $0.custodians[custodian] }), cached.validAt == head.number {
            return cached.value
        }
        metrics.chainCall("getCustodian")
        let active = try await contract.custodian(custodian, at: .number(head.number)).active
        store(\.custodians, key: custodian, value: active, readAt: head.number)
        return active
    }

    /// The anchor of `recordId`; nil if not anchored (a miss is not cached: it may come).
    public func anchor(_ recordId: Bytes32) async throws -> AnchoredRecord? {
        let head = try freshHead()
        if let cached = state.withLock({ $0.anchors[recordId] }) { return cached }
        metrics.chainCall("getRecord")
        guard let anchor = try await contract.record(recordId, at: .number(head.number)) else { return nil }
        state.withLock { state in
            if state.anchors.count >= Self.maximumEntries { state.anchors.removeAll() }
            state.anchors[recordId] = anchor
        }
        return anchor
    }

    /// Caches a read made at block `readAt`, unless the head moved on meanwhile (then the
    /// watcher may already have invalidated it, and the next request reads again).
    private func store<Key: Hashable, Value: Sendable>(
        _ path: WritableKeyPath<State, [Key: Cached<Value>]> & Sendable, key: Key, value: Value, readAt: UInt64
    ) {
        state.withLock { state in
            guard state.head?.number == readAt else { return }
            if state[keyPath: path].count >= Self.maximumEntries { state[keyPath: path].removeAll() }
            state[keyPath: path][key] = Cached(value: value, validAt: readAt)
        }
    }

    /// One poll: reads the head and, if it moved, the logs of the new blocks.
    public func poll() async {
        do {
            if !state.withLock({ $0.chainIdVerified }) {
                // Never decide on the state of another chain than the configured one.
                let chainId = try await contract.client.chainId()
                guard chainId == expectedChainId else {
                    throw ChainError(.wrongChain, "the node is on chain \(chainId), the configuration says \(expectedChainId)")
                }
                state.withLock { $0.chainIdVerified = true }
            }
            // The head as it was before this poll's reads: the new blocks' logs are read from
            // there, so they cover whatever another poll may apply meanwhile.
            let previous = state.withLock { $0.head }
            metrics.chainCall("eth_getBlockByNumber")
            guard let block = try await contract.client.block(.latest) else { return }
            var touchedTokens = Set<Bytes32>()
            var touchedStaff = Set<Address>()
            var touchedCustodians = Set<Address>()
            var flushAll = previous == nil
            if let previous, block.number > previous.number {
                // Blocks up to the old head may have been replaced (a reorganisation on a chain
                // without instant finality): then the logs of the new blocks do not tell all.
                metrics.chainCall("eth_getBlockByNumber")
                if let sameHeight = try await contract.client.block(.number(previous.number)), sameHeight.hash != previous.hash {
                    flushAll = true
                    logger.warning("the chain reorganised below the head; dropping the chain cache", metadata: ["block": "\(previous.number)"])
                }
                do {
                    metrics.chainCall("eth_getLogs")
                    let logs = try await contract.client.logs(LogFilter(
                        fromBlock: .number(previous.number + 1), toBlock: .number(block.number), addresses: [contract.address]))
                    for log in logs {
                        guard let event = contract.decode(log) else { continue }
                        switch event.name {
                        case "Granted", "Revoked":
                            if let token = event.token { touchedTokens.insert(token) }
                        case "StaffRegistered", "StaffDeregistered":
                            if let staff = try? event.value("staff").asAddress() { touchedStaff.insert(staff) }
                        case "CustodianRegistered", "CustodianDeregistered":
                            if let custodian = try? event.value("custodian").asAddress() { touchedCustodians.insert(custodian) }
                        default: break
                        }
                    }
                } catch {
                    // Without the logs we cannot tell what changed: forget everything.
                    flushAll = true
                    logger.warning("could not read new blocks' logs; dropping the chain cache", metadata: ["error": "\(error)"])
                }
            } else if let previous, block.number < previous.number || (block.number == previous.number && block.hash != previous.hash) {
                flushAll = true  // the node is behind what we saw, or on another branch: trust nothing cached
            }
            let head = Head(number: block.number, hash: block.hash, timestamp: block.timestamp, observedAt: .now)
            state.withLock { state in
                state.lastError = nil
                if flushAll {
                    state.grants.removeAll()
                    state.staff.removeAll()
                    state.custodians.removeAll()
                }
                let current = state.head
                if let current, head.number < current.number {
                    // Never move the head backwards (a slower overlapping poll, or a lagging node
                    // behind a load balancer): reads stay at the higher head, which fail until
                    // the node catches up, rather than read older state.
                    return
                }
                state.head = head
                if flushAll { return }
                // Untouched entries valid at the current head stay valid at the new one; the
                // touched sets cover every block after `previous`, which is at or before it.
                let old = current?.number
                state.grants = state.grants.filter { $0.value.validAt == old && !touchedTokens.contains($0.key) }
                    .mapValues { Cached(value: $0.value, validAt: head.number) }
                state.staff = state.staff.filter { $0.value.validAt == old && !touchedStaff.contains($0.key) }
                    .mapValues { Cached(value: $0.value, validAt: head.number) }
                state.custodians = state.custodians.filter { $0.value.validAt == old && !touchedCustodians.contains($0.key) }
                    .mapValues { Cached(value: $0.value, validAt: head.number) }
            }
            metrics.chainHead(block.number)
        } catch is CancellationError {
            return  // shutting down
        } catch {
            state.withLock { $0.lastError = "\(error)" }
            logger.warning("chain head poll failed", metadata: ["error": "\(error)"])
        }
    }

    /// Polls until graceful shutdown.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.poll()
                try await Task.sleep(for: self.pollInterval)
            }
        }
    }
}
