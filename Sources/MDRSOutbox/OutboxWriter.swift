import BigInt
import EthereumCore
import EthereumRPC
import Foundation
import Logging
import MDRSChain
import MDRSCore
import MDRSPostgres
import PostgresNIO
import ServiceLifecycle

/// Carries the outbox to the chain: batches pending access entries and record anchors into one
/// transaction per round (`publish`, or `logAccess` when there is nothing to anchor), owns the
/// signing account's nonce, waits for the receipt, replaces a transaction stuck too long with a
/// higher fee, and marks each row with its transaction, block and log index.
///
/// One batch is in flight at a time, and each batch and each of its signed versions is written
/// to PostgreSQL before it is sent. After a crash the writer resumes with the open batch: it
/// looks for a receipt of any version, and re-broadcasts the latest otherwise. Nothing is
/// logged twice: a row goes back to the queue only when its batch certainly did not land, and
/// if it did land after all, the contract refuses the next batch (`OutOfSequence`: its entries
/// are numbered, and the numbers are taken), which the writer resolves by finding those entries.
public struct OutboxWriter: Service {
    public struct Configuration: Sendable {
        var maximumEntries: Int
        var maximumAnchors: Int
        var interval: Duration
        var replaceAfter: Duration
        var confirmations: UInt64
        var maximumFeePerGas: BigUInt?

        package init(maximumEntries: Int, maximumAnchors: Int, interval: Duration, replaceAfter: Duration, confirmations: UInt64, maximumFeePerGas: BigUInt?) {
            self.maximumEntries = maximumEntries
            self.maximumAnchors = maximumAnchors
            self.interval = interval
            self.replaceAfter = replaceAfter
            self.confirmations = confirmations
            self.maximumFeePerGas = maximumFeePerGas
        }
    }

    var policy: ReplacementPolicy {
        ReplacementPolicy(replaceAfter: configuration.replaceAfter, maximumFeePerGas: configuration.maximumFeePerGas)
    }

    let store: OutboxStore
    let contract: MedicalAccessContract
    /// The node the writer sends through: the contract's.
    var client: EthereumClient { contract.client }
    /// Further nodes that must confirm what the node says before a row is marked: a receipt, a
    /// logged request id, a refusal. Without them the node's word alone decides.
    package var witnesses: [MedicalAccessContract] = []
    /// Told each transaction's hash before it is sent (the chain view: a block of the writer's
    /// own transactions changes nothing it caches).
    package var noteSent: (@Sendable (Bytes32) -> Void)?
    /// Which cluster and timeline the database runs on: tells a restore from a second writer.
    var incarnations: DatabaseIncarnationStore { DatabaseIncarnationStore(client: store.client, clock: store.clock, logger: logger) }
    let key: any DigestSigner
    let chainId: BigUInt
    let configuration: Configuration
    let status: OutboxStatus
    let metrics: GatewayMetrics
    let logger: Logger
    /// Whether the last batch this process finished was confirmed (``OutboxBatchRules/simulates(lastBatchConfirmed:)``).
    let confirmedLast = Flag()
    /// Set when a batch sent with the computed bound ran out of gas: from then on every batch is
    /// simulated (the bound is wrong for some shape of batch; it must not cost a revert a round).
    let boundTooLow = Flag()
    /// When the writer last read what it reads only now and then (pending reviews, the
    /// break-glass counts): an idle writer goes round several times a second.
    let lastSlowRefresh = Every()
    let lastReviewLook = Every()
    static let slowRefreshInterval = Duration.seconds(5)
    static let reviewLookInterval = Duration.seconds(2)

    package init(store: OutboxStore, contract: MedicalAccessContract, key: any DigestSigner, chainId: BigUInt, configuration: Configuration, status: OutboxStatus, metrics: GatewayMetrics, logger: Logger) {
        self.store = store
        self.contract = contract
        self.key = key
        self.chainId = chainId
        self.configuration = configuration
        self.status = status
        self.metrics = metrics
        self.logger = logger
    }

    /// Arbitrary but fixed ("MDRSOUTB"): held by the process that holds the writer's lease, on a
    /// session of its own, so that the others learn at once when that session ends (a crash of
    /// the process, or of the database) and take over without waiting for the lease to expire.
    static let lockKey: Int64 = 0x4D44_5253_4F55_5442
    static let busyRefreshInterval = Duration.seconds(1)
    /// How long a term of the lease lasts unless renewed; a holder renews it every
    /// ``leaseRenewal``. A holder that stops renewing (hung, or cut off from the database) is
    /// replaced after this long; a holder whose session ended, at once.
    static let leaseDuration = Duration.seconds(15)
    static let leaseRenewal = Duration.seconds(1)
    /// How often a process that does not write looks whether it should.
    static let standbyInterval = Duration.seconds(1)

    /// Writes the log while this process holds the writer's lease, waits for it otherwise, and
    /// starts over after any failure of the database or the node, however many times: only a
    /// wrong configuration (the node is on another chain) ends it with an error. Returns on
    /// graceful shutdown, after giving the lease up so that another process takes over at once.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.writeUntilShutdown() }
            group.addTask {
                // A graceful shutdown lets the round in progress finish; one stuck on a database
                // or node that is gone (a connection that never comes) is cancelled after
                // ``shutdownGrace``: stopping mid-round is as safe as a crash, which the log
                // survives (the next writer resumes it).
                try await gracefulShutdown()
                try await Task.sleep(for: Self.shutdownGrace)
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// How long a graceful shutdown waits for the writer's round before cancelling it.
    static let shutdownGrace = Duration.seconds(5)

    private func writeUntilShutdown() async throws {
        var failures = 0
        var announcedStandby = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await verifyChain()
                try await holdLeaseAndWrite(announcedStandby: &announcedStandby)
                failures = 0
            } catch let error as GatewayError where error.code == .invalidConfiguration {
                throw error
            } catch {
                failures += 1
                confirmedLast.value = false
                metrics.outboxWriterRestart()
                logger.warning(
                    "the outbox writer stopped; it starts over",
                    metadata: ["error": "\(ErrorDescription.text(error))", "failures": "\(failures)"])
                await refreshStatus()
                // Soon again: the database or node is usually back within seconds, and the
                // backlog must drain as soon as it is (at most 2 s after). A process whose lease
                // another took over (it was too slow to renew) waits longer than the new holder's
                // renewal, which takes the advisory lock it just let go: it must not take the
                // lease back at once, by the lock, from a holder that is alive.
                let pause = error is WriterLeaseLost ? Self.leaseRenewal * 2 : min(.milliseconds(250) * failures, .seconds(2))
                await Self.sleepUnlessShuttingDown(pause)
            }
        }
        if store.lease.term != nil {
            do {
                try await store.releaseLease()
                logger.notice("the outbox writer gave its lease up (shutdown)")
            } catch {
                logger.warning("could not give the outbox writer's lease up; it expires by itself", metadata: ["error": "\(ErrorDescription.text(error))"])
            }
        }
    }

    /// Sleeps `duration`, or less if a graceful shutdown begins meanwhile; never throws (the
    /// writer's own task is not cancelled by the shutdown: it finishes its step and hands over).
    static func sleepUnlessShuttingDown(_ duration: Duration) async {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
    }

    /// One stretch on one session: waits until this process may write, then writes until the
    /// session or the lease is lost (throws) or a graceful shutdown begins (returns). The session
    /// holds the advisory lock while this process writes.
    private func holdAndWriteOn(_ session: PostgresConnection, announcedStandby: inout Bool) async throws {
        var holdsLock = false
        do {
            holdsLock = try await tryLock(session)
            while store.lease.term == nil {
                guard !Task.isShuttingDownGracefully else { return await letGo(session, holdsLock: holdsLock) }
                if try await store.takeLease(for: Self.leaseDuration, holderIsGone: holdsLock) != nil { break }
                if !announcedStandby {
                    logger.info("another gateway process writes the outbox; this one stands by")
                    announcedStandby = true
                }
                // Keep this process's view of the backlog true while another one writes it.
                await refreshStatus()
                await Self.sleepUnlessShuttingDown(Self.standbyInterval)
                if session.isClosed { throw PostgresDatabaseError.closed }
                if !holdsLock { holdsLock = try await tryLock(session) }
            }
            announcedStandby = false
            let term = store.lease.term?.number ?? 0
            logger.notice("this gateway process writes the on-chain log", metadata: ["term": "\(term)", "advisoryLock": "\(holdsLock)"])
            metrics.outboxWriterTerm(term)
            defer { metrics.outboxWriterTerm(0) }
            try await write(on: session, holdsLock: &holdsLock)
        } catch {
            store.lease.end()
            await letGo(session, holdsLock: holdsLock)
            throw error
        }
        // Graceful shutdown: the lease is given up by run(), after the lock, so that a process
        // that takes the lock finds the lease free.
        await letGo(session, holdsLock: holdsLock)
    }

    /// Lets the advisory lock go before the session returns to the pool, whatever ended the
    /// stretch: a pooled session that kept it would keep every other session (this process's
    /// next stretch included) from it, and the writing would wait for the lease to expire. A
    /// session that cannot unlock is closed, which lets the lock go with it.
    private func letGo(_ session: PostgresConnection, holdsLock: Bool) async {
        guard holdsLock, !session.isClosed else { return }
        do {
            try await unlock(session)
        } catch {
            logger.warning("could not let the writer's advisory lock go; closing its session", metadata: ["error": "\(ErrorDescription.text(error))"])
            try? await session.close()
        }
    }

    private func holdLeaseAndWrite(announcedStandby: inout Bool) async throws {
        // A session of its own for the advisory lock, outside PostgresDatabase's guard: it lives
        // as long as the writing, and is checked (isClosed) before every round instead.
        var announced = announcedStandby
        defer { announcedStandby = announced }
        try await store.client.client.withConnection { session in
            try await holdAndWriteOn(session, announcedStandby: &announced)
        }
    }

    /// The rounds of one term: each begins by checking the session and, once a second, by
    /// renewing the lease (which fails if another process took it).
    private func write(on session: PostgresConnection, holdsLock: inout Bool) async throws {
        var rebroadcast = [Int64: ContinuousClock.Instant]()
        var failures = 0
        var refreshedAt: ContinuousClock.Instant?
        var renewedAt = ContinuousClock.now
        await refreshStatus()
        while !Task.isShuttingDownGracefully {
            if session.isClosed { throw PostgresDatabaseError.closed }
            if ContinuousClock.now - renewedAt >= Self.leaseRenewal {
                try await store.renewLease(for: Self.leaseDuration)
                renewedAt = .now
                // A process that took the lease when it expired holds no lock: take it once free.
                if !holdsLock { holdsLock = try await tryLock(session) }
            }
            let busy: Bool
            do {
                busy = try await round(rebroadcast: &rebroadcast)
                failures = 0
            } catch let lost as WriterLeaseLost {
                throw lost
            } catch let error as PostgresDatabaseError {
                throw error
            } catch {
                confirmedLast.value = false
                failures += 1
                busy = false
                logger.warning("outbox round failed; retrying", metadata: ["error": "\(ErrorDescription.text(error))", "failures": "\(failures)"])
                // Too many failures in a row: start over on a new session (the database may
                // have restarted under this one, leaving it open but without the lock).
                if failures >= 5 { throw error }
            }
            // The backlog's counts scan the waiting rows: while busy (a batch after
            // another), once a second is enough for the stall bound and the metrics.
            if !busy || refreshedAt.map({ ContinuousClock.now - $0 >= Self.busyRefreshInterval }) ?? true {
                await refreshStatus()
                refreshedAt = .now
            }
            if !busy {
                // Idle, or waiting for a receipt: no need to ask more than a few times a second.
                let base = max(configuration.interval, .milliseconds(100))
                let backoff = failures == 0 ? base : min(base * (1 << min(failures, 6)), .seconds(10))
                await Self.sleepUnlessShuttingDown(backoff)
            }
        }
    }

    /// `pg_try_advisory_lock` on the writer's session.
    private func tryLock(_ session: PostgresConnection) async throws -> Bool {
        try await PostgresDatabase.guarded(session) { [logger] session in
            let rows = try await session.query("SELECT pg_try_advisory_lock(\(Self.lockKey))", logger: logger)
            for try await acquired in rows.decode(Bool.self) { return acquired }
            return false
        }
    }

    private func unlock(_ session: PostgresConnection) async throws {
        try await PostgresDatabase.guarded(session) { [logger] session in
            try await session.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            return ()
        }
    }

    /// Waits for the node, then refuses to sign for any chain but the configured one.
    private func verifyChain() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                let nodeChainId = try await client.chainId()
                guard nodeChainId == chainId else {
                    throw GatewayError(
                        .invalidConfiguration, "the node at the RPC URL is on chain \(nodeChainId), the configuration says \(chainId): refusing to sign")
                }
                return
            } catch let error as JSONRPCError where error.isUnavailable {
                logger.warning("the chain node is unreachable; the outbox waits", metadata: ["error": "\(error.message)"])
                await Self.sleepUnlessShuttingDown(.seconds(2))
            }
        }
    }

    private func refreshStatus() async {
        // The break-glass counts only once every few seconds: they are reported, never decide.
        let emergencies = lastSlowRefresh.due(every: Self.slowRefreshInterval)
        guard let backlog = try? await store.backlog(emergencies: emergencies) else { return }
        status.update(backlog)
        metrics.outbox(backlog, now: store.clock.now())
    }

    /// One step; true if it changed something (so the next can follow at once).
    func round(rebroadcast: inout [Int64: ContinuousClock.Instant]) async throws -> Bool {
        if let batch = try await store.openBatch(signer: key.address) {
            return try await advance(batch, rebroadcast: &rebroadcast)
        }
        return try await startBatch()
    }

    // MARK: An open batch

    private func advance(_ batch: OutboxStore.OpenBatch, rebroadcast: inout [Int64: ContinuousClock.Instant]) async throws -> Bool {
        let minedNonce = batch.latestRaw == nil ? 0 : try await client.transactionCount(of: key.address, at: .latest)
        switch OutboxBatchRules.open(hasVersions: batch.latestRaw != nil, minedNonce: minedNonce, batchNonce: batch.accountNonce) {
        case .drop(let reason):
            return try await drop(batch, reason)
        case .findReceipt:
            for hash in batch.hashes.reversed() {
                guard let receipt = try await client.transactionReceipt(hash) else { continue }
                return try await handleReceipt(receipt, batch: batch)
            }
            guard case .drop(let reason) = OutboxBatchRules.receiptSearch(found: false) else { return false }
            return try await drop(batch, reason)
        case .pending:
            break
        }
        if batch.state == .mined {
            logger.warning("a mined log transaction is no longer mined (reorg); waiting for it again", metadata: ["batch": "\(batch.id)"])
        }
        guard let latestRaw = batch.latestRaw else { return false }
        let latest = try SignedTransaction(raw: latestRaw)
        let elapsed = Duration.seconds(max(0, store.clock.now().timeIntervalSince(batch.lastSentAt)))
        let sinceRebroadcast = rebroadcast[batch.id].map { ContinuousClock.now - $0 }
        var step = OutboxBatchRules.pending(versions: batch.hashes.count, elapsed: elapsed, sinceRebroadcast: sinceRebroadcast, policy: policy)
        if step == .replace {
            if try await replace(latest, batch: batch) { return true }
            step = OutboxBatchRules.rebroadcastDue(sinceRebroadcast: sinceRebroadcast) ? .rebroadcast : .wait
        }
        if step == .rebroadcast {
            // The node may have lost the pending transaction (a restart of either side, a send
            // that failed): send it again now and then. "already known" is the usual answer.
            rebroadcast[batch.id] = .now
            try await send(latest, batch: batch.id)
        }
        return false
    }

    /// Puts an open batch's rows back in the queue.
    private func drop(_ batch: OutboxStore.OpenBatch, _ reason: OutboxBatchRules.DropReason, tx: Bytes32? = nil) async throws -> Bool {
        switch reason {
        case .noVersions:
            break
        case .reverted:
            logger.warning("log transaction reverted on-chain; re-queueing its rows", metadata: ["tx": "\(tx.map { "\($0)" } ?? "?")"])
            metrics.logTransaction("reverted")
        case .nonceTaken:
            // An operator used the custodian key by hand for something else.
            logger.warning("log transaction nonce taken by another transaction; re-queueing", metadata: ["batch": "\(batch.id)", "nonce": "\(batch.accountNonce)"])
            metrics.logTransaction("dropped")
        }
        confirmedLast.value = false
        try await store.drop(batch: batch.id)
        return true
    }

    private func handleReceipt(_ receipt: TransactionReceipt, batch: OutboxStore.OpenBatch) async throws -> Bool {
        let head = receipt.succeeded && configuration.confirmations > 0 ? try await client.blockNumber() : nil
        let step = OutboxBatchRules.receipt(
            succeeded: receipt.succeeded, blockNumber: receipt.blockNumber, head: head, confirmations: configuration.confirmations)
        if case .drop(let reason) = step {
            if !receipt.succeeded, let raw = batch.latestRaw, let sent = try? SignedTransaction(raw: raw),
                receipt.gasUsed >= sent.transaction.gasLimit
            {
                boundTooLow.value = true
                logger.error(
                    "a log transaction ran out of gas; every batch is simulated from now on",
                    metadata: ["tx": "\(receipt.transactionHash)", "gasLimit": "\(sent.transaction.gasLimit)"])
            }
            return try await drop(batch, reason, tx: receipt.transactionHash)
        }
        if batch.state == .sent {
            try await store.markMined(batch: batch.id, receipt: receipt)
        }
        switch step {
        case .drop, .waitForDepth:
            return false
        case .recheckCanonical:
            // Still canonical? The receipt we just read is for the block the node now has.
            let again = try await client.transactionReceipt(receipt.transactionHash)
            if OutboxBatchRules.canonical(sameBlock: again?.blockHash == receipt.blockHash) == .reorged { return true }
        case .checkWitnesses:
            break
        }
        guard OutboxBatchRules.witnesses(allHoldReceipt: try await witnessesHold(receipt)) == .confirm else { return false }
        var anchorLogs = [Bytes32: UInt64]()
        var entryLogs = [Bytes32: OutboxStore.LoggedEntry]()
        for log in receipt.logs {
            switch contract.event(log) {
            case .recordAnchored(let id, _, _, _): anchorLogs[id] = log.logIndex
            case .accessed(let accessed):
                let logged = loggedEntry(accessed.entry, sequence: accessed.sequence, logIndex: log.logIndex)
                if logged.withoutGrant { alertServedWithoutGrant(accessed.entry.requestId) }
                entryLogs[accessed.entry.requestId] = logged
            default: break
            }
        }
        let lag = try await store.confirm(batch: batch.id, receipt: receipt, anchorLogs: anchorLogs, entryLogs: entryLogs)
        metrics.logTransaction("confirmed")
        metrics.logLag(seconds: lag)
        confirmedLast.value = true
        logger.info(
            "access log batch confirmed",
            metadata: ["tx": "\(receipt.transactionHash)", "block": "\(receipt.blockNumber)", "entries": "\(entryLogs.count)", "anchors": "\(anchorLogs.count)"])
        return true
    }

    /// Whether every witness holds `receipt` as the node gave it (same block, status and logs): a
    /// receipt the node could have made up would otherwise mark rows logged.
    func witnessesHold(_ receipt: TransactionReceipt) async throws -> Bool {
        for (index, witness) in witnesses.enumerated() {
            let theirs = try await witness.client.transactionReceipt(receipt.transactionHash)
            guard let theirs, theirs.succeeded, theirs.blockHash == receipt.blockHash,
                theirs.logs.map(\.topics) == receipt.logs.map(\.topics), theirs.logs.map(\.data) == receipt.logs.map(\.data)
            else {
                logger.warning(
                    "witness node does not (yet) hold the log transaction's receipt; the batch waits",
                    metadata: ["tx": "\(receipt.transactionHash)", "witness": "\(index + 1)"])
                return false
            }
        }
        return true
    }

    /// Signs, records and sends a fee-bumped version of `latest`; false if the fee cap leaves no
    /// room for one (the transaction then waits at the cap and is only re-broadcast).
    private func replace(_ latest: SignedTransaction, batch: OutboxStore.OpenBatch) async throws -> Bool {
        let market = try await FeeQuote.suggest(using: client)
        guard let fees = policy.replacementFees(latest: latest.transaction.feeQuote, market: market) else {
            metrics.logTransaction("at_fee_cap")
            logger.warning(
                "a log transaction waits at outbox.max_fee_per_gas; it is not replaced",
                metadata: ["batch": "\(batch.id)", "fee": "\(latest.transaction.feeQuote.feeCap)"])
            try await store.deferReplacement(batch: batch.id)
            return false
        }
        let replacement = try fees.transaction(
            chainId: chainId, nonce: latest.transaction.nonce, gasLimit: latest.transaction.gasLimit,
            to: latest.transaction.to, data: latest.transaction.data
        ).signed(with: key)
        try await store.addReplacement(replacement, batch: batch.id)
        logger.info("replacing a stuck log transaction with a higher fee", metadata: ["batch": "\(batch.id)", "tx": "\(replacement.hash)"])
        metrics.logTransaction("replaced")
        try await send(replacement, batch: batch.id)
        return true
    }

    /// Sends a recorded transaction. Pool answers that mean "it is there" or "try later" are not
    /// errors (``OutboxBatchRules/send(_:)``); "nonce too low" is resolved by the next round's
    /// receipt check.
    func send(_ transaction: SignedTransaction, batch: Int64) async throws {
        noteSent?(transaction.hash)
        do {
            try await client.sendRawTransaction(transaction.raw)
            metrics.logTransaction("sent")
        } catch let error as JSONRPCError {
            switch OutboxBatchRules.send(Self.poolAnswer(error)) {
            case .done:
                return
            case .retryLater:
                logger.warning("the node did not take the log transaction yet", metadata: ["batch": "\(batch)", "error": "\(error.message)"])
            case .fail:
                throw error
            }
        }
    }

    static func poolAnswer(_ error: JSONRPCError) -> OutboxBatchRules.PoolAnswer {
        if error.isAlreadyKnown { return .alreadyKnown }
        if error.isNonceTooLow { return .nonceTooLow }
        if error.isReplacementUnderpriced { return .replacementUnderpriced }
        if error.isUnderpricedOrPoolFull { return .underpricedOrPoolFull }
        if error.isUnavailable { return .nodeUnavailable }
        return .other
    }
}
