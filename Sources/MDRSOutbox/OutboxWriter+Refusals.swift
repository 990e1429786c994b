import EthereumCore
import EthereumRPC
import Foundation
import MDRSChain
import MDRSCore
import MDRSPostgres
import MDRSProtocol

/// What the writer does when the contract would refuse a batch: which row it names, whether the
/// refusal is real (witnesses), and how the row is kept.
extension OutboxWriter {
    /// The refusal the node reported must be the witnesses' too: a node that made one up could
    /// have a served row rejected (and so out of the stall bound) or marked as logged.
    func confirmRefusal(_ reason: RevertReason, data: [UInt8]) async throws {
        for (index, witness) in witnesses.enumerated() {
            var theirs: RevertReason?
            do {
                _ = try await witness.client.call(CallRequest(from: key.address, to: contract.address, data: data))
            } catch let error as JSONRPCError where error.revertData != nil {
                theirs = MedicalAccessABI.revertReason(error.revertData ?? [])
            }
            guard theirs == reason else {
                metrics.chainDisagreement("logRefusal")
                logger.error(
                    "ALERT: chain nodes disagree on whether the contract refuses a log batch; the outbox waits",
                    metadata: ["witness": "\(index + 1)", "node": "\(reason)", "witnessSays": "\(theirs.map { "\($0)" } ?? "no refusal")"])
                throw ChainError(.disagreement, "witness node \(index + 1) does not confirm the contract's refusal of a log batch")
            }
        }
    }

    /// The contract refused the batch in simulation; its error names the row.
    func resolveRefusal(_ reason: RevertReason, anchors: [RecordAnchorInput], entries: [AccessEntry]) async throws {
        guard case .custom(let name, let arguments) = reason else {
            // Only one row is left (see startBatch): it is the one the contract refuses.
            if let entry = entries.first, entries.count == 1, anchors.isEmpty {
                logger.error("the contract refuses an access entry without saying why", metadata: ["request": "\(entry.requestId)", "reason": "\(reason)"])
                try await reject(entry.requestId, reason: "\(reason)", entries: entries)
                return
            }
            if let anchor = anchors.first, anchors.count == 1, entries.isEmpty {
                logger.error("the contract refuses a record anchor without saying why", metadata: ["record": "\(anchor.recordId)", "reason": "\(reason)"])
                try await store.rejectAnchor(anchor.recordId, error: "\(reason)")
                return
            }
            throw ChainError(.reverted, "the contract refused the log batch", revert: reason)
        }
        let id = arguments.first.flatMap { try? $0.asBytes32() }
        switch (MedicalAccessError(rawValue: name), id) {
        case (.outOfSequence, _):
            guard arguments.count == 2, let expected = try? arguments[0].asUInt64(), let given = try? arguments[1].asUInt64() else {
                throw ChainError(.invalidResponse, "OutOfSequence without its numbers", revert: reason)
            }
            try await resolveSequence(expected: expected, given: given)
        case (.recordAlreadyAnchored, let recordId?):
            try await resolveAlreadyAnchored(recordId, anchors: anchors)
        default:
            if let id, entries.contains(where: { $0.requestId == id }) {
                try await reject(id, reason: name, entries: entries)
            } else if let id, anchors.contains(where: { $0.recordId == id }) {
                try await store.rejectAnchor(id, error: name)
            } else {
                // NotCustodian and the like: nothing can be logged; the outbox stalls visibly.
                throw ChainError(.reverted, "the contract refuses this gateway's log batches", revert: reason)
            }
        }
    }

    /// Keeps a row the contract will not take as `rejected`. A served row is an incident: the
    /// record left, and the chain does not accept the log entry that was to account for it (a
    /// node that answered falsely, or a bug), so it raises an alert (error log and metric).
    func reject(_ requestId: Bytes32, reason: String, entries: [AccessEntry]) async throws {
        let served = entries.first { $0.requestId == requestId }.flatMap { AccessOutcome(rawValue: $0.outcome) }?.released ?? false
        // Named reasons only, so the metric's label values stay few.
        metrics.logEntryRejected(served: served, reason: reason.allSatisfy { $0.isLetter || $0 == " " } ? reason : "unnamed")
        if served {
            status.noteRejectedServed()
            logger.error(
                "ALERT: the contract refuses the log entry of a served access; the record was released without an on-chain account",
                metadata: ["request": "\(requestId)", "reason": "\(reason)"])
        } else {
            logger.warning("the contract refuses a denial's log entry; kept here as rejected", metadata: ["request": "\(requestId)", "reason": "\(reason)"])
        }
        try await store.rejectEntry(requestId, error: reason)
    }

    /// How a row's entry sits in the log, from its `Accessed` event.
    func loggedEntry(_ entry: AccessEntry, sequence: UInt64, logIndex: UInt64) -> OutboxStore.LoggedEntry {
        OutboxStore.LoggedEntry(
            logIndex: logIndex, sequence: sequence, withoutGrant: entry.outcome == AccessOutcome.servedWithoutGrant.rawValue)
    }

    /// The contract logged a served access of this gateway's as served without a grant: the
    /// record left on the strength of a grant the chain does not have (a node that answered
    /// falsely, or a bug). That is an incident: the row is logged, numbered and kept for an
    /// operator's review, and releases stop until it is reviewed.
    func alertServedWithoutGrant(_ requestId: Bytes32) {
        metrics.logEntryRejected(served: true, reason: OutboxStore.servedWithoutGrant)
        status.noteRejectedServed()
        logger.error(
            "ALERT: the contract logged a served access as served without a grant: the record was released on a grant the chain does not hold",
            metadata: ["request": "\(requestId)"])
    }

    /// How far back the writer looks for entries of its own that landed unseen: the blocks after
    /// the last one a row here was confirmed in, at most this many.
    static let sequenceSearchBlocks: UInt64 = 50_000

    /// The contract expects the batch to start at `expected`, not `given` (this gateway's next
    /// number). Entries `given ..< expected` are on-chain already: most likely a batch of ours
    /// that landed although its receipt was never seen (so its rows went back to the queue).
    /// Each is looked for in the blocks since the last confirmation here; a pending row with the
    /// same entry (every field; a served row may be on-chain as served without a grant) is marked
    /// with it. A number taken by anything else is an entry this gateway did not write, by
    /// someone holding the custodian's key, which the operator must hear about; the next batch is
    /// numbered after it, and the audit check reports it (`unknown_here`). An entry made before
    /// this database was restored from a backup is one of ours that the restore lost: no alert,
    /// and the check lists it apart (`lost_in_restore`). Until every number is
    /// accounted for, and deep enough, the outbox waits rather than log anything twice.
    func resolveSequence(expected: UInt64, given: UInt64) async throws {
        guard expected > given else {
            // The chain holds fewer entries than this gateway saw confirmed: a reorganisation
            // deeper than `chain.confirmations`, or another chain or contract behind the URL.
            logger.error(
                "ALERT: the chain's access log of this custodian ends before entries this gateway saw confirmed; the outbox waits",
                metadata: ["chainNext": "\(expected)", "gatewayNext": "\(given)"])
            throw ChainError(.invalidResponse, "the contract expects entry \(expected) of this custodian's log, but this gateway logged up to \(given - 1)")
        }
        let head = try await contract.logHead(of: key.address)
        guard head.sequence == expected - 1, Int64(exactly: head.sequence) != nil else {
            throw ChainError(.invalidResponse, "the node's refusal (next \(expected)) and its log head (\(head.sequence)) disagree")
        }
        for (index, witness) in witnesses.enumerated() where try await witness.logHead(of: key.address) != head {
            metrics.chainDisagreement("logHead")
            throw ChainError(.disagreement, "witness node \(index + 1) does not confirm this custodian's log head")
        }
        if configuration.confirmations > 0 {
            guard try await client.blockNumber() >= head.blockNumber + configuration.confirmations else {
                throw ChainError(.unavailable, "this custodian's last log entry is not \(configuration.confirmations) blocks deep yet")
            }
        }
        // Every missing number, found in the blocks since the last confirmation here, through
        // this node (the witnesses then vouch for the transactions).
        let reader = AccessLogReader(contract: contract, audited: contract, custodian: key.address, metrics: metrics)
        let lastConfirmed = try await store.lastConfirmedBlock() ?? 0
        let from = max(lastConfirmed, head.blockNumber > Self.sequenceSearchBlocks ? head.blockNumber - Self.sequenceSearchBlocks : 0)
        var found = [UInt64: LoggedAccess]()
        for start in stride(from: from, through: head.blockNumber, by: Int(AccessLogReader.logWindow)) {
            let end = min(start + AccessLogReader.logWindow - 1, head.blockNumber)
            for logged in try await reader.entries(from: start, to: end) where (given..<expected).contains(logged.sequence) {
                found[logged.sequence] = logged
            }
        }
        guard found.count == Int(expected - given) else {
            logger.error(
                "ALERT: numbers of this custodian's on-chain log cannot be found; the outbox waits",
                metadata: ["from": "\(given)", "through": "\(expected - 1)", "found": "\(found.count)", "searchedFromBlock": "\(from)"])
            throw ChainError(.invalidResponse, "entries \(given)...\(expected - 1) of this custodian's log are not in blocks \(from)...\(head.blockNumber)")
        }
        for hash in Set(found.values.map(\.transactionHash)) {
            guard let receipt = try await client.transactionReceipt(hash), try await witnessesHold(receipt) else {
                throw ChainError(.disagreement, "a witness node does not hold the log transaction \(hash)")
            }
        }
        let rows = try await store.pendingEntries(requestIds: found.values.map(\.entry.requestId))
        let incarnation = try await incarnations.current(chainHead: head.blockNumber)
        for number in given..<expected {
            guard let onChain = found[number] else { continue }
            let requestId = onChain.entry.requestId
            if let row = rows[requestId], Self.sameEntry(row, onChain: onChain.entry) {
                let logged = loggedEntry(onChain.entry, sequence: number, logIndex: onChain.logIndex)
                if logged.withoutGrant { alertServedWithoutGrant(requestId) }
                try await store.confirmEntry(requestId, tx: onChain.transactionHash, block: onChain.blockNumber, logIndex: onChain.logIndex, logged: logged)
                logger.info("access entry was already on-chain; marked", metadata: ["request": "\(requestId)", "sequence": "\(number)"])
            } else if incarnation.lostWithRestore(block: onChain.blockNumber) {
                // Logged before this database was restored: a row of ours the restore lost. The
                // chain holds it; the audit check lists it (`lost_in_restore`).
                logger.warning(
                    "an entry of this custodian's log was lost from the database with its restore; the chain holds it",
                    metadata: ["sequence": "\(number)", "request": "\(requestId)", "block": "\(onChain.blockNumber)"])
            } else {
                metrics.logEntryRejected(served: false, reason: "ForeignEntry")
                logger.error(
                    "ALERT: this custodian's key logged an entry this gateway did not write (a second gateway with the same key?)",
                    metadata: ["sequence": "\(number)", "request": "\(requestId)", "block": "\(onChain.blockNumber)"])
            }
        }
        try await store.noteTakenSequence(signer: key.address, through: head.sequence)
    }

    /// Whether the chain's entry is the row's: every field, with the contract's one rewrite (a
    /// served entry without a grant it holds is logged as served without a grant).
    static func sameEntry(_ row: AccessEntry, onChain: AccessEntry) -> Bool {
        guard onChain.outcome == AccessOutcome.servedWithoutGrant.rawValue, AccessOutcome(rawValue: row.outcome)?.released == true else {
            return row == onChain
        }
        return row == AccessEntry(
            requestId: onChain.requestId, token: onChain.token, recordId: onChain.recordId, staff: onChain.staff,
            purpose: onChain.purpose, outcome: row.outcome, accessedAt: onChain.accessedAt, commitment: onChain.commitment)
    }

    func resolveAlreadyAnchored(_ recordId: Bytes32, anchors: [RecordAnchorInput]) async throws {
        guard let onChain = try await contract.record(recordId), let wanted = anchors.first(where: { $0.recordId == recordId }) else {
            throw ChainError(.invalidResponse, "RecordAlreadyAnchored for \(recordId), but it cannot be read")
        }
        if onChain.custodian == key.address && onChain.contentHash == wanted.contentHash && onChain.patient == wanted.patient {
            let logs = try await client.logs(LogFilter(
                fromBlock: .number(onChain.anchoredAt), toBlock: .number(onChain.anchoredAt), addresses: [contract.address],
                topics: [[MedicalAccessABI.recordAnchored.topic], [recordId]]))
            try await store.confirmAnchor(recordId, tx: logs.first?.transactionHash, block: onChain.anchoredAt, logIndex: logs.first?.logIndex)
        } else {
            logger.error("a record id is anchored on-chain with other content", metadata: ["record": "\(recordId)"])
            try await store.rejectAnchor(recordId, error: "RecordAlreadyAnchored with other content")
        }
    }
}
