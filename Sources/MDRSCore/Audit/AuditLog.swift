import EthereumCore
import MDRSProtocol

/// The auditor's view, free of I/O: the chain's entries joined with the custodian's rows, and
/// the consistency check between the two.
package enum AuditLog {
    /// Which entries a page holds, from the first `limit + 1` matches after the cursor on each
    /// side (both in key order): the first `limit` keys of their union, and the cursor of the
    /// next page when there are more. An entry missing from its side's list would have `limit + 1`
    /// keys before it on that side alone, so no page ever skips one.
    package static func page(onChain: [AuditCursor], local: [AuditCursor], limit: Int) -> (keys: [AuditCursor], next: AuditCursor?) {
        let union = Set(onChain).union(local).sorted()
        guard union.count > limit else { return (union, nil) }
        let keys = Array(union.prefix(limit))
        return (keys, keys.last)
    }

    /// The page's entries in key order: each request once, joined with its other side (looked up
    /// by request id, whatever its key there).
    package static func entries(keys: [AuditCursor], onChain: [Bytes32: LoggedAccess], local: [Bytes32: LocalAccess]) -> [AuditEntry] {
        var seen = Set<Bytes32>()
        return keys.compactMap { key in
            guard seen.insert(key.requestId).inserted else { return nil }
            return join(event: onChain[key.requestId], row: local[key.requestId])
        }
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
                    commitment: $0.commitment.hex, sequence: $0.sequence)
            },
            local: row.map { row in
                AuditEntry.Local(
                    reason: row.access.reason, chainState: row.chainState, rangeStart: row.access.rangeStart,
                    rangeEnd: row.access.rangeEnd, signatureHash: row.access.signatureHash.hex,
                    commitmentValid: row.access.commitment == row.storedCommitment
                        && (event.map { $0.commitment == row.storedCommitment } ?? true),
                    clientAddress: row.clientAddress)
            })
    }

    /// What differs between the chain's entries and the custodian's rows of one stretch of
    /// blocks: `onChain` holds the index's entries of those blocks, `local` the rows confirmed in
    /// them and the rows of `onChain`'s requests. Local-only rows are not expected on-chain.
    package static func differences(onChain: [Bytes32: LoggedAccess], local all: [Bytes32: LocalAccess]) -> [AuditFinding] {
        let local = all.filter { $0.value.chainState != .localOnly }
        var findings = [AuditFinding]()
        for (requestId, row) in local where onChain[requestId] == nil && row.chainState == .confirmed {
            findings.append(AuditFinding(requestId: requestId, kind: .missingOnChain, blockNumber: row.blockNumber ?? 0))
        }
        for (requestId, event) in onChain {
            guard let row = local[requestId] else {
                if all[requestId] == nil {
                    findings.append(AuditFinding(requestId: requestId, kind: .unknownHere, blockNumber: event.blockNumber))
                }
                continue
            }
            if row.access.commitment != event.commitment || row.storedCommitment != event.commitment {
                findings.append(AuditFinding(requestId: requestId, kind: .commitmentMismatch, blockNumber: event.blockNumber))
            }
        }
        return findings.sorted { ($0.blockNumber, $0.requestId.hex) < ($1.blockNumber, $1.requestId.hex) }
    }
}
