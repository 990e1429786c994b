import Foundation
import EthereumCore
import Logging
import MDRSChain
import MDRSCore
import MDRSPostgres
import MDRSProtocol

/// The consistency check between the audit index and the custodian's rows, run incrementally:
/// each call compares only the blocks indexed since the last one (in windows of about
/// ``window`` entries, so memory stays bounded), remembers how far it got and what it found,
/// and answers every finding so far. A row confirmed in a block already checked sends the
/// check back to that block (the outbox does so when it confirms), and a reorganisation below
/// the checked block forgets the findings above the fork.
package struct AuditChecker: Sendable {
    /// Entries compared per step.
    static let window = 2000
    /// Request ids listed per kind in one answer (the counts are complete).
    static let listed = 1000

    let index: AccessIndexStore
    let local: AccessLogStore
    /// Whether, and since when, the database is a restored copy: entries it lacks from before
    /// then were lost with the restore.
    let incarnations: DatabaseIncarnationStore
    /// Reads the custodian's log head at the block the index has read through.
    let reader: AccessLogReader
    let custodian: Address
    /// Served entries released after their grant ended on the chain.
    let lateReleases: LateReleaseCheck
    /// A served access not on-chain after this long makes the check inconsistent (the outbox's
    /// stall bound): its release is not accounted for where auditors look.
    let overdueAfter: Duration
    let clock: any WallClock
    /// Every check's findings, by kind, as gauges (`mdrs_audit_findings`).
    let metrics: GatewayMetrics?
    let logger: Logger

    package init(
        index: AccessIndexStore, local: AccessLogStore, reader: AccessLogReader, custodian: Address,
        revocationTolerance: Duration = .seconds(10), overdueAfter: Duration = .seconds(300), clock: any WallClock = SystemClock(),
        metrics: GatewayMetrics? = nil, logger: Logger
    ) {
        self.metrics = metrics
        self.index = index
        self.local = local
        self.incarnations = DatabaseIncarnationStore(client: local.client, clock: clock, logger: logger)
        self.reader = reader
        self.custodian = custodian
        self.lateReleases = LateReleaseCheck(reader: reader, tolerance: revocationTolerance)
        self.overdueAfter = overdueAfter
        self.clock = clock
        self.logger = logger
    }

    /// Gaps, and repeats, listed in one answer (their counts are complete).
    static let listedGaps = 100

    /// Whether every number up to the contract's last one (at the block the index has read
    /// through, named by its hash so that a reorganisation since cannot answer for another
    /// branch) is an entry in the index, and whether any repeats a request id.
    func sequence(at position: AccessIndexStore.Position) async throws -> LogSequenceReport {
        guard position.indexedThrough >= 0 else { return try await index.sequenceReport(through: 0, limit: Self.listedGaps) }
        let last = try await reader.logHead(at: UInt64(position.indexedThrough), hash: position.hash).sequence
        return try await index.sequenceReport(through: last, limit: Self.listedGaps)
    }

    /// Checks the blocks indexed since the last check (all of them with `restart`) and reports.
    package func check(restart: Bool) async throws -> ConsistencyReport {
        if restart { try await index.restartCheck() }
        var position = try await index.position()
        var checked = 0
        // The block the index has read through stands for the chain's head: no chain read per
        // check (a restore first noticed here counts as of a block at most that old).
        let incarnation = try await incarnations.current(chainHead: UInt64(max(position.indexedThrough, 0)))
        while position.checkedThrough < position.indexedThrough {
            let after = position.checkedThrough
            let ends = [
                try await index.block(ofEntry: Self.window, after: after), try await local.block(ofConfirmed: Self.window, after: after),
            ].compactMap { $0 }
            let through = min(ends.min() ?? position.indexedThrough, position.indexedThrough)
            var onChain = Dictionary(
                try await index.entries(after: after, through: through).map { ($0.entry.requestId, $0) }, uniquingKeysWith: { a, _ in a })
            var rows = try await local.rows(requestIds: onChain.keys)
            for row in try await local.confirmed(after: after, through: through) { rows[row.access.requestId] = row }
            // A row confirmed here whose entry the index holds in another block (a reorganisation
            // moved it after the outbox saw it) is compared with that entry, not called missing.
            let elsewhere = Set(rows.keys).subtracting(onChain.keys)
            onChain.merge(try await index.entries(requestIds: elsewhere), uniquingKeysWith: { a, _ in a })
            var findings = AuditLog.differences(onChain: onChain, local: rows).map { finding in
                Self.explainedByRestore(finding, incarnation: incarnation)
            }
            let late = try await lateReleases.findings(Array(onChain.values), at: UInt64(max(through, 0)))
            for finding in late {
                logger.error(
                    "ALERT: a record was released after its grant had ended on the chain; the gateway's chain node may have lied",
                    metadata: ["request": "\(finding.requestId)", "kind": "\(finding.kind.rawValue)", "block": "\(finding.blockNumber)"])
            }
            findings += late
            if try await index.recordCheck(findings, after: after, through: through) {
                checked += onChain.count
            }
            position = try await index.position()
        }
        let missing = try await index.findings(.missingOnChain, limit: Self.listed)
        let unknown = try await index.findings(.unknownHere, limit: Self.listed)
        let lost = try await index.findings(.lostInRestore, limit: Self.listed)
        let mismatch = try await index.findings(.commitmentMismatch, limit: Self.listed)
        let rejected = try await local.rejected(limit: Self.listed)
        let waiting = try await local.waiting(indexedThrough: position.indexedThrough, limit: Self.listed)
        let overdue = try await local.overdue(before: clock.now().addingTimeInterval(-overdueAfter.seconds), limit: Self.listed)
        var late = [AuditFinding.Kind: (count: Int, requestIds: [Bytes32])]()
        for kind in AuditFinding.Kind.lateRelease { late[kind] = try await index.findings(kind, limit: Self.listed) }
        let lateCount = late.values.map(\.count).reduce(0, +)
        let sequence = try await sequence(at: position)
        if !sequence.complete {
            logger.warning(
                "the custodian's on-chain log has numbers without an entry the index holds",
                metadata: ["missing": "\(sequence.missingNumbers)", "first": "\(sequence.gaps.first.map { "\($0.from)" } ?? "?")"])
        }
        if sequence.repeatedNumbers > 0 {
            logger.warning(
                "the custodian's on-chain log names a request id under more than one number",
                metadata: ["repeated": "\(sequence.repeatedNumbers)", "first": "\(sequence.repeats.first.map { "\($0.sequence)" } ?? "?")"])
        }
        let hex = { (ids: [Bytes32]) in ids.map(\.hex) }
        let report = ConsistencyReport(
            custodian: custodian.checksummed, onChainEntries: try await index.count(), localEntries: try await local.countMeantForChain(),
            missingOnChain: hex(missing.requestIds), waiting: hex(waiting.requestIds), rejected: hex(rejected.requestIds),
            unknownHere: hex(unknown.requestIds), lostInRestore: hex(lost.requestIds), commitmentMismatch: hex(mismatch.requestIds),
            overdue: hex(overdue.requestIds),
            servedAfterRevocation: hex(late[.servedAfterRevocation]?.requestIds ?? []),
            servedAfterExpiry: hex(late[.servedAfterExpiry]?.requestIds ?? []),
            servedAfterRegistrationChange: hex(late[.servedAfterRegistrationChange]?.requestIds ?? []),
            consistent: missing.count == 0 && unknown.count == 0 && mismatch.count == 0 && rejected.count == 0 && sequence.complete
                && sequence.repeatedNumbers == 0 && overdue.count == 0 && lateCount == 0,
            counts: .init(
                missingOnChain: missing.count, waiting: waiting.count, rejected: rejected.count, unknownHere: unknown.count,
                lostInRestore: lost.count,
                commitmentMismatch: mismatch.count, overdue: overdue.count,
                servedAfterRevocation: late[.servedAfterRevocation]?.count ?? 0, servedAfterExpiry: late[.servedAfterExpiry]?.count ?? 0,
                servedAfterRegistrationChange: late[.servedAfterRegistrationChange]?.count ?? 0),
            indexedThroughBlock: position.indexedThrough, checkedEntries: checked, sequence: sequence,
            databaseRestoredAt: incarnation.restoredAt.map { Int64($0.timeIntervalSince1970) })
        metrics?.auditFindings(report)
        return report
    }

    /// An on-chain entry with no row here, logged before the database was restored: one of this
    /// custodian's rows that the restore lost (the database cannot tell it from another writer's
    /// before then). Every other finding stays as it is.
    static func explainedByRestore(_ finding: AuditFinding, incarnation: DatabaseIncarnationStore.Incarnation) -> AuditFinding {
        guard finding.kind == .unknownHere, incarnation.lostWithRestore(block: finding.blockNumber) else { return finding }
        return AuditFinding(requestId: finding.requestId, kind: .lostInRestore, blockNumber: finding.blockNumber)
    }
}
