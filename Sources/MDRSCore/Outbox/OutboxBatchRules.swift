/// The outbox writer's decisions, free of I/O, in the way PostgresNIO's connection state
/// machine keeps its decisions apart from the channel: the writer reads the chain and the
/// database, hands what it saw to these rules, and does what they return. One batch is in
/// flight at a time (see `OutboxWriter`).
package enum OutboxBatchRules {
    /// Why an open batch's rows go back to the queue.
    package enum DropReason: String, Equatable, Sendable {
        /// No signed version was recorded (a crash between creating the batch and signing).
        case noVersions = "no_versions"
        /// The transaction was mined and reverted.
        case reverted
        /// The account's nonce moved past the batch's, but none of its versions was mined:
        /// another transaction of the same key took the nonce.
        case nonceTaken = "dropped"
    }

    // MARK: An open batch

    /// The first look at an open batch.
    package enum OpenStep: Equatable, Sendable {
        case drop(DropReason)
        /// The nonce is used: look for a receipt of any version.
        case findReceipt
        /// Not mined yet: replace, re-broadcast or wait (``pending(versions:elapsed:sinceRebroadcast:policy:)``).
        case pending
    }

    package static func open(hasVersions: Bool, minedNonce: UInt64, batchNonce: UInt64) -> OpenStep {
        guard hasVersions else { return .drop(.noVersions) }
        // Until the account's nonce moves past the batch's, none of its versions is mined: one
        // question answers that, however many fee-bumped versions there are.
        return minedNonce > batchNonce ? .findReceipt : .pending
    }

    /// After looking for a receipt of each version, newest first.
    package static func receiptSearch(found: Bool) -> OpenStep {
        found ? .findReceipt : .drop(.nonceTaken)
    }

    /// What a found receipt means.
    package enum ReceiptStep: Equatable, Sendable {
        case drop(DropReason)
        /// Mined but not deep enough yet (`chain.confirmations`).
        case waitForDepth
        /// Deep enough: read the receipt again, to know its block is still canonical.
        case recheckCanonical
        /// Ask every witness for the same receipt before marking anything.
        case checkWitnesses
    }

    package static func receipt(succeeded: Bool, blockNumber: UInt64, head: UInt64?, confirmations: UInt64) -> ReceiptStep {
        guard succeeded else { return .drop(.reverted) }
        guard confirmations > 0 else { return .checkWitnesses }
        guard let head, head >= blockNumber + confirmations else { return .waitForDepth }
        return .recheckCanonical
    }

    /// After reading the receipt again: a different block (or none) is a reorg; the next round
    /// starts over from the nonce.
    package enum CanonicalStep: Equatable, Sendable {
        case checkWitnesses
        case reorged
    }

    package static func canonical(sameBlock: Bool) -> CanonicalStep {
        sameBlock ? .checkWitnesses : .reorged
    }

    /// After asking the witnesses: all must hold the same receipt.
    package enum WitnessStep: Equatable, Sendable {
        case confirm
        case wait
    }

    package static func witnesses(allHoldReceipt: Bool) -> WitnessStep {
        allHoldReceipt ? .confirm : .wait
    }

    /// A batch whose transaction is not mined yet.
    package enum PendingStep: Equatable, Sendable {
        /// Sign a version with a higher fee (``ReplacementPolicy`` says how much, or that the cap allows none).
        case replace
        /// Send the latest version again: the node may have lost it.
        case rebroadcast
        case wait
    }

    /// How long between re-broadcasts of the same version.
    package static let rebroadcastInterval: Duration = .seconds(5)

    package static func pending(versions: Int, elapsed: Duration, sinceRebroadcast: Duration?, policy: ReplacementPolicy) -> PendingStep {
        // Replace with a higher fee when stuck, backing off (a node that does not mine at all is
        // not helped by ever more versions), within the version and fee caps.
        if policy.isDue(versions: versions, elapsed: elapsed) { return .replace }
        return rebroadcastDue(sinceRebroadcast: sinceRebroadcast) ? .rebroadcast : .wait
    }

    /// Whether to send the latest version again (also when a replacement was due but the fee
    /// cap allowed none). Never sent by this process yet counts as due.
    package static func rebroadcastDue(sinceRebroadcast: Duration?) -> Bool {
        sinceRebroadcast.map { $0 > rebroadcastInterval } ?? true
    }

    // MARK: Sending

    /// What a node said to a sent transaction, as far as the writer cares.
    package enum PoolAnswer: Equatable, Sendable {
        case accepted
        case alreadyKnown
        case nonceTooLow
        case replacementUnderpriced
        case underpricedOrPoolFull
        case nodeUnavailable
        case other
    }

    package enum SendStep: Equatable, Sendable {
        /// Sent, or already there: the receipt check of the next round takes over.
        case done
        /// The node did not take it yet; a later round sends it again.
        case retryLater
        /// An answer the writer does not understand: the round fails (and is retried with backoff).
        case fail
    }

    package static func send(_ answer: PoolAnswer) -> SendStep {
        switch answer {
        // "nonce too low": a version (or another transaction) is mined; the next round's
        // receipt check resolves which.
        case .accepted, .alreadyKnown, .nonceTooLow: .done
        case .replacementUnderpriced, .underpricedOrPoolFull, .nodeUnavailable: .retryLater
        case .other: .fail
        }
    }

    // MARK: A new batch

    /// The rows of a batch being formed.
    package struct BatchSize: Equatable, Sendable {
        package var entries: Int
        package var anchors: Int

        package init(entries: Int, anchors: Int) {
            self.entries = entries
            self.anchors = anchors
        }

        package var rows: Int { entries + anchors }

        /// Half the batch: entries first, then anchors, then the anchor alone.
        package var halved: BatchSize {
            if entries > 1 { return BatchSize(entries: entries / 2, anchors: anchors) }
            if anchors > 1 { return BatchSize(entries: entries, anchors: anchors / 2) }
            return BatchSize(entries: 0, anchors: anchors)
        }
    }

    /// What the simulation of a batch said.
    package enum Simulation: Equatable, Sendable {
        case gas(UInt64)
        /// The contract refused it; `customError` is the contract's error name, if it gave one.
        case refused(customError: String?)
    }

    package enum NewBatchStep: Equatable, Sendable {
        /// Try again with fewer rows.
        case shrink(to: BatchSize)
        /// The contract refuses a row it names (or the only row): resolve that row.
        case resolveRefusal
        /// Sign and send with this gas limit.
        case send(gasLimit: UInt64)
        /// One row needs more gas than a block holds.
        case rowTooLarge
    }

    /// The most gas a batch can use, computed rather than simulated (py-evm and other nodes
    /// execute every `eth_estimateGas` in full, which would halve the writer's rate). Measured
    /// (docs/decisions.md §11; `OutboxGasBoundTests` checks the bound against the contract): an
    /// entry costs 8.7k with its grant's slots warm and 11k for a denial read cold; the bound
    /// allows every slot an entry can read cold (the grant's four, the record's two, the staff
    /// member's), its event, and calldata at the EIP-7623 floor. An anchor with a 128-byte
    /// encrypted address stores nine slots: 208k measured; `publish` itself, whose anchor array
    /// Vyper lays out in memory at its maximum size, costs 204k before the first anchor. Both
    /// with 15 % to spare. Unused gas is not charged.
    package static func gasBound(_ size: BatchSize) -> UInt64 {
        // intrinsic, Vyper's array layout, the log head, slack
        let fixed: UInt64 = size.anchors > 0 ? 240_000 : 21_000 + 60_000 + 25_000 + 20_000
        return fixed + UInt64(size.entries) * 26_000 + UInt64(size.anchors) * 240_000
    }

    /// Whether a new batch is simulated before it is sent. Only a batch that follows one this
    /// writer saw confirmed is not: its numbers follow on from a known log head, and its rows
    /// are of the kinds the contract took a moment ago. After a start, a drop (revert, lost
    /// nonce) or a refusal, the next batch is simulated again, which finds and resolves a row
    /// the contract refuses before anything is spent on it.
    package static func simulates(lastBatchConfirmed: Bool) -> Bool {
        !lastBatchConfirmed
    }

    /// The send step for a batch whose gas is computed: halved while it would fill more than
    /// half a block, like a simulated one.
    package static func withoutSimulation(size: BatchSize, blockGasLimit: UInt64) -> NewBatchStep {
        afterSimulation(.gas(gasBound(size)), size: size, blockGasLimit: blockGasLimit, headroom: false)
    }

    package static func afterSimulation(_ simulation: Simulation, size: BatchSize, blockGasLimit: UInt64, headroom: Bool = true) -> NewBatchStep {
        switch simulation {
        case .refused(let customError):
            // A refusal that names no row: halve the batch until the row that causes it is
            // alone, so one bad row cannot stall the whole log.
            if customError == nil && size.rows > 1 { return .shrink(to: size.halved) }
            return .resolveRefusal
        case .gas(let estimate):
            // Keep a batch well inside a block.
            if estimate > blockGasLimit / 2 && size.rows > 1 { return .shrink(to: size.halved) }
            guard estimate <= blockGasLimit else { return .rowTooLarge }
            return .send(gasLimit: min(headroom ? estimate + estimate / 4 + 10_000 : estimate, blockGasLimit))
        }
    }
}
