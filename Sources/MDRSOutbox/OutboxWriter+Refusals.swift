import EthereumCore
import EthereumRPC
import Foundation
import MDRSChain
import MDRSCore
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
        case (.duplicateRequest, let requestId?):
            // Logged before (a batch that landed although we had not seen its receipt).
            try await resolveAlreadyLogged(requestId, entries: entries)
        case (.recordAlreadyAnchored, let recordId?):
            try await resolveAlreadyAnchored(recordId, anchors: anchors)
        case (.grantMismatch, let requestId?):
            // A served access the contract does not accept: the record left on the strength of
            // a grant the chain does not have (a node that answered falsely, or a bug). That is
            // an incident, not a routine refusal.
            try await reject(requestId, reason: MedicalAccessError.grantMismatch.rawValue, entries: entries)
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
        let served = entries.first { $0.requestId == requestId }?.outcome == AccessOutcome.served.rawValue
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

    /// The contract says this custodian logged `requestId` before. The row counts as logged only
    /// if the entry on-chain is ours and carries the row's commitment: anything else is logged
    /// by someone holding this custodian's key, which the operator must hear about.
    func resolveAlreadyLogged(_ requestId: Bytes32, entries: [AccessEntry]) async throws {
        guard let block = try await contract.accessLoggedAt(requestId, by: key.address) else {
            throw ChainError(.invalidResponse, "DuplicateRequest for \(requestId), but it is not logged")
        }
        let logs = try await client.logs(LogFilter(
            fromBlock: .number(block), toBlock: .number(block), addresses: [contract.address],
            topics: [[MedicalAccessABI.accessed.topic]]))
        let expected = entries.first { $0.requestId == requestId }
        let original = logs.first { log in
            guard case .accessed(let accessed) = contract.event(log) else { return false }
            return accessed.entry.requestId == requestId && accessed.custodian == key.address
        }
        guard let original, case .accessed(let accessed) = contract.event(original),
            let expected, accessed.entry.commitment == expected.commitment
        else {
            logger.error(
                "this custodian's key logged another entry under one of its request ids (a second gateway with the same key?)",
                metadata: ["request": "\(requestId)", "block": "\(block)"])
            try await reject(requestId, reason: "DuplicateRequest with another entry", entries: entries)
            return
        }
        for (index, witness) in witnesses.enumerated() where try await witness.accessLoggedAt(requestId, by: key.address) != block {
            metrics.chainDisagreement("accessLoggedAt")
            throw ChainError(.disagreement, "witness node \(index + 1) does not confirm that \(requestId) was logged in block \(block)")
        }
        try await store.confirmEntry(requestId, tx: original.transactionHash, block: block, logIndex: original.logIndex)
        logger.info("access entry was already on-chain; marked", metadata: ["request": "\(requestId)", "block": "\(block)"])
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
