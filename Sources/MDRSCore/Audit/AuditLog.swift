import EthereumCore
import MDRSProtocol

/// The auditor's view, free of I/O: the chain's entries joined with the custodian's rows, and
/// the consistency check between the two.
package enum AuditLog {
    /// Every entry once, on-chain or local or both, in time order.
    package static func entries(onChain: [Bytes32: LoggedAccess], local: [Bytes32: LocalAccess]) -> [AuditEntry] {
        var entries = [AuditEntry]()
        for (requestId, event) in onChain {
            entries.append(join(event: event, row: local[requestId]))
        }
        for (requestId, row) in local where onChain[requestId] == nil {
            entries.append(join(event: nil, row: row))
        }
        entries.sort { ($0.accessedAt, $0.requestId) < ($1.accessedAt, $1.requestId) }
        return entries
    }

    static func join(event: LoggedAccess?, row: LocalAccess?) -> AuditEntry {
        let entry = event?.entry ?? row?.access.entry
        let chainPatient = event.flatMap { $0.patient == .zero ? nil : $0.patient }
        let patient = chainPatient ?? row?.access.patient
        return AuditEntry(
            requestId: entry?.requestId.hex ?? "", token: entry?.token.hex ?? "", recordId: entry?.recordId.hex ?? "",
            staff: entry?.staff.checksummed ?? "", patient: patient?.checksummed, purpose: Int(entry?.purpose ?? 0),
            outcome: Int(entry?.outcome ?? 0), accessedAt: entry?.accessedAt ?? 0,
            onChain: event.map {
                AuditEntry.OnChain(
                    transactionHash: $0.transactionHash.hex, blockNumber: $0.blockNumber, logIndex: $0.logIndex,
                    commitment: $0.commitment.hex)
            },
            local: row.map { row in
                AuditEntry.Local(
                    reason: row.access.reason, chainState: row.chainState, rangeStart: row.access.rangeStart,
                    rangeEnd: row.access.rangeEnd, signatureHash: row.access.signatureHash.hex,
                    commitmentValid: row.access.commitment == row.storedCommitment
                        && (event.map { $0.commitment == row.storedCommitment } ?? true))
            })
    }

    /// Compares the chain's entries with the rows that should be there (local-only rows excluded).
    package static func check(custodian: Address, onChain: [Bytes32: LoggedAccess], local all: [Bytes32: LocalAccess]) -> ConsistencyReport {
        let local = all.filter { $0.value.chainState != .localOnly }
        var missing = [String](), waiting = [String](), rejected = [String](), unknown = [String](), mismatch = [String]()
        for (requestId, row) in local {
            switch (row.chainState, onChain[requestId]) {
            case (.confirmed, nil): missing.append(requestId.hex)
            case (.pending, nil), (.submitted, nil): waiting.append(requestId.hex)
            case (.rejected, nil): rejected.append(requestId.hex)
            case (_, .some), (.localOnly, nil): break
            }
        }
        for (requestId, event) in onChain {
            guard let row = local[requestId] else {
                unknown.append(requestId.hex)
                continue
            }
            if row.access.commitment != event.commitment || row.storedCommitment != event.commitment {
                mismatch.append(requestId.hex)
            }
        }
        return ConsistencyReport(
            custodian: custodian.checksummed, onChainEntries: onChain.count, localEntries: local.count,
            missingOnChain: missing.sorted(), waiting: waiting.sorted(), rejected: rejected.sorted(),
            unknownHere: unknown.sorted(), commitmentMismatch: mismatch.sorted(),
            consistent: missing.isEmpty && unknown.isEmpty && mismatch.isEmpty && rejected.isEmpty)
    }
}
