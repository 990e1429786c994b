import EthereumCore
import EthereumRPC
import Foundation

extension ChainState {
    /// What one poll learned, applied to the state at once.
    private struct Observation {
        var head: Head
        var touchedTokens = Set<Bytes32>()
        var touchedStaff = Set<Address>()
        var touchedCustodians = Set<Address>()
        var staffChanges = [StaffDirectory.Change]()
        /// A directory read from scratch (first poll, or after a reorganisation).
        var rebuiltDirectory: StaffDirectory?
        var flushAll = false
    }

    /// One poll: reads the head and, if it moved, the logs of the new blocks.
    public func poll() async {
        do {
            try await verifyChainId()
            try await checkNotSyncing()
            // The head as it was before this poll's reads: the new blocks' logs are read from
            // there, so they cover whatever another poll may apply meanwhile.
            let (previous, directoryBuilt) = state.withLock { ($0.head, $0.directory != nil) }
            metrics.chainCall("eth_getBlockByNumber")
            guard let block = try await contract.client.block(.latest) else { return }
            if !witnesses.isEmpty { try await checkWitnesses(against: block) }
            var observation = Observation(
                head: Head(number: block.number, hash: block.hash, timestamp: block.timestamp, observedAt: .now),
                flushAll: previous == nil)
            if let previous, block.number == previous.number + 1, block.parentHash == previous.hash, state.withLock({ $0.ownTransactions.coverAll(of: block) }) {
                // The next block on the same branch, holding only the outbox's anchors and log
                // entries: nothing cached can have changed, and there are no logs to read.
            } else if let previous, block.number > previous.number {
                // Blocks up to the old head may have been replaced (a reorganisation on a chain
                // without instant finality): then the logs of the new blocks do not tell all.
                // The next block's parent hash tells it without a read.
                let sameBranch: Bool
                if block.number == previous.number + 1 {
                    sameBranch = block.parentHash == previous.hash
                } else {
                    metrics.chainCall("eth_getBlockByNumber")
                    sameBranch = try await contract.client.block(.number(previous.number))?.hash == previous.hash
                }
                if !sameBranch {
                    observation.flushAll = true
                    logger.warning("the chain reorganised below the head; dropping the chain cache", metadata: ["block": "\(previous.number)"])
                } else {
                    do {
                        try await readChanges(from: previous.number + 1, to: block.number, into: &observation)
                    } catch {
                        // Without the logs we cannot tell what changed: forget everything.
                        observation.flushAll = true
                        logger.warning("could not read new blocks' logs; dropping the chain cache", metadata: ["error": "\(error)"])
                    }
                }
            } else if let previous, block.number < previous.number || (block.number == previous.number && block.hash != previous.hash) {
                observation.flushAll = true  // the node is behind what we saw, or on another branch: trust nothing cached
            }
            if observation.flushAll || !directoryBuilt {
                observation.rebuiltDirectory = try await buildDirectory(through: block.number)
            }
            apply(observation)
            metrics.chainHead(block.number)
            noteHeadAge(block)
        } catch is CancellationError {
            return  // shutting down
        } catch {
            let disagreement = (error as? ChainError)?.code == .disagreement
            state.withLock {
                $0.notSyncingAt = nil  // a node that comes back may come back syncing: ask at once
                $0.lastError = "\(error)"
                $0.lastErrorIsDisagreement = disagreement
            }
            logger.warning("chain head poll failed", metadata: ["error": "\(error)"])
        }
    }

    /// Says so, once, when the node's head gets older than the bound (requests are refused
    /// from then on) and when it is fresh again.
    private func noteHeadAge(_ block: Block) {
        guard let bound = configuration.maximumHeadAge else { return }
        let now = clock.unixTime
        let age = now > block.timestamp ? now - block.timestamp : 0
        let old = Double(age) > bound.seconds
        let changed = state.withLock { state in
            defer { state.headTooOld = old }
            return state.headTooOld != old
        }
        guard changed else { return }
        if old {
            logger.warning(
                "the node's latest block is older than chain.max_head_age_seconds: it has stopped following the chain; nothing is served",
                metadata: ["block": "\(block.number)", "ageSeconds": "\(age)"])
        } else {
            logger.notice("the node's head is recent again", metadata: ["block": "\(block.number)"])
        }
    }

    /// The head comes from the first node; witnesses check it. A first node that freezes its
    /// head (and fakes a fresh timestamp) would otherwise have every read made at an old block,
    /// where the witnesses honestly agree with it. So each poll asks each witness for its head
    /// and for the block at the first node's height: another hash there is a disagreement, and a
    /// witness more than `witnessMaximumLag` blocks ahead means the first node is not following
    /// the chain. (A witness that is behind is tolerated: its reads wait or fail on their own.)
    private func checkWitnesses(against block: Block) async throws {
        for (index, witness) in witnesses.enumerated() {
            metrics.chainCall("eth_blockNumber")
            metrics.chainCall("eth_getBlockByNumber")
            async let head = witness.client.blockNumber()
            async let same = witness.client.block(.number(block.number))
            let (witnessHead, sameHeight) = try await (head, same)
            if let sameHeight, sameHeight.hash != block.hash {
                metrics.chainDisagreement("head")
                logger.error(
                    "ALERT: chain nodes disagree on the block at the head; refusing to decide",
                    metadata: ["block": "\(block.number)", "witness": "\(index + 1)"])
                throw ChainError(.disagreement, "witness node \(index + 1) has another block \(block.number) than the node")
            }
            if witnessHead > block.number + configuration.witnessMaximumLag {
                throw ChainError(
                    .unavailable,
                    "the node's head \(block.number) is \(witnessHead - block.number) blocks behind witness node \(index + 1): it is not following the chain")
            }
        }
    }

    /// A syncing node's state is behind the network's, whatever its head says. Asked every
    /// ``ChainState/syncingCheckInterval``, and at every poll while the node says it is syncing.
    private func checkNotSyncing() async throws {
        if let checked = state.withLock({ $0.notSyncingAt }), ContinuousClock.now - checked < Self.syncingCheckInterval { return }
        metrics.chainCall("eth_syncing")
        guard try await !contract.client.isSyncing() else {
            state.withLock { $0.notSyncingAt = nil }
            throw ChainError(.unavailable, "the chain node is still syncing")
        }
        state.withLock { $0.notSyncingAt = .now }
    }

    /// Never decide on the state of another chain than the configured one.
    private func verifyChainId() async throws {
        guard !state.withLock({ $0.chainIdVerified }) else { return }
        let chainId = try await contract.client.chainId()
        guard chainId == configuration.expectedChainId else {
            throw ChainError(.wrongChain, "the node is on chain \(chainId), the configuration says \(configuration.expectedChainId)")
        }
        state.withLock { $0.chainIdVerified = true }
    }

    /// The contract's logs of blocks `from...to`: what they touch, and the staff changes in order.
    private func readChanges(from: UInt64, to: UInt64, into observation: inout Observation) async throws {
        metrics.chainCall("eth_getLogs")
        let logs = try await contract.client.logs(LogFilter(fromBlock: .number(from), toBlock: .number(to), addresses: [contract.address]))
        for log in logs {
            guard let event = contract.event(log) else { continue }
            switch event {
            case .granted(let token, _, _, _), .revoked(let token, _, _, _):
                observation.touchedTokens.insert(token)
            case .staffRegistered, .staffDeregistered:
                if let change = StaffDirectory.change(in: event, block: log.blockNumber) {
                    observation.touchedStaff.insert(change.staff)
                    observation.staffChanges.append(change)
                }
            case .custodianRegistered(let custodian), .custodianDeregistered(let custodian), .custodianGatewayChanged(let custodian, _),
                .custodianDirectoryChanged(let custodian, _):
                observation.touchedCustodians.insert(custodian)
            case .recordAnchored, .accessRequested, .accessed:
                break
            }
        }
    }

    /// Reads every staff registration change from the contract's first block, in windows.
    private func buildDirectory(through head: UInt64) async throws -> StaffDirectory {
        let topics: [[Bytes32]?] = [[MedicalAccessABI.staffRegistered.topic, MedicalAccessABI.staffDeregistered.topic]]
        var changes = [StaffDirectory.Change]()
        var from = configuration.fromBlock
        while from <= head {
            let to = min(from + Self.logWindow - 1, head)
            metrics.chainCall("eth_getLogs")
            let logs = try await contract.client.logs(
                LogFilter(fromBlock: .number(from), toBlock: .number(to), addresses: [contract.address], topics: topics))
            changes += logs.compactMap { log in contract.event(log).flatMap { StaffDirectory.change(in: $0, block: log.blockNumber) } }
            from = to + 1
        }
        var directory = StaffDirectory(appliedThrough: configuration.fromBlock == 0 ? 0 : configuration.fromBlock - 1)
        directory.apply(changes, through: head)
        logger.debug("staff directory read", metadata: ["staff": "\(directory.count)", "through": "\(head)"])
        return directory
    }

    private func apply(_ observation: Observation) {
        let head = observation.head
        state.withLock { state in
            state.lastError = nil
            if observation.flushAll {
                state.grants.removeAll()
                state.staff.removeAll()
                state.custodians.removeAll()
                state.recentChanges.removeAll()
                state.generation += 1
            }
            if let rebuilt = observation.rebuiltDirectory {
                // A directory read up to an older block than the head kept here (a lagging node,
                // a slower overlapping poll) would miss the blocks in between for good: drop it,
                // and the next poll reads it again.
                state.directory = rebuilt.appliedThrough >= max(state.head?.number ?? 0, state.directory?.appliedThrough ?? 0) ? rebuilt : nil
            } else {
                state.directory?.apply(observation.staffChanges, through: head.number)
            }
            let current = state.head
            if let current, head.number < current.number {
                // Never move the head backwards (a slower overlapping poll, or a lagging node
                // behind a load balancer): reads stay at the higher head, which fail until
                // the node catches up, rather than read older state.
                return
            }
            state.head = head
            // With witnesses, the new blocks' logs (what a cached entry's carry-over rests on)
            // come from the first node alone, which could hide a revocation: then every block
            // reads afresh, from all nodes.
            if observation.flushAll || !witnesses.isEmpty {
                state.grants.removeAll()
                state.staff.removeAll()
                state.custodians.removeAll()
                state.recentChanges.removeAll()
                state.generation += 1
                return
            }
            // Untouched entries valid at the current head stay valid at the new one; the
            // touched sets cover every block after `previous`, which is at or before it.
            let old = current?.number
            if let old, head.number > old {
                state.recentChanges.append(AppliedChange(
                    from: old + 1, through: head.number, tokens: observation.touchedTokens, staff: observation.touchedStaff,
                    custodians: observation.touchedCustodians))
                if state.recentChanges.count > Self.maximumRecentChanges { state.recentChanges.removeFirst() }
            }
            state.grants = state.grants.filter { $0.value.validAt == old && !observation.touchedTokens.contains($0.key) }
                .mapValues { Cached(value: $0.value, validAt: head.number) }
            state.staff = state.staff.filter { $0.value.validAt == old && !observation.touchedStaff.contains($0.key) }
                .mapValues { Cached(value: $0.value, validAt: head.number) }
            state.custodians = state.custodians.filter { $0.value.validAt == old && !observation.touchedCustodians.contains($0.key) }
                .mapValues { Cached(value: $0.value, validAt: head.number) }
        }
    }
}
