import CoreMetrics
import Foundation
import MDRSProtocol
import Prometheus

/// The gateway's metrics, on its own Prometheus registry (no global bootstrap, so several
/// gateways can live in one test process).
public struct GatewayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
    }

    package func request(route: String, outcome: String) {
        Counter(label: "mdrs_requests_total", dimensions: [("route", route), ("outcome", outcome)], factory: factory).increment()
    }

    package func bytesStreamed(_ count: Int, direction: String) {
        Counter(label: "mdrs_bytes_streamed_total", dimensions: [("direction", direction)], factory: factory)
            .increment(by: Int64(count))
    }

    package func grantCache(hit: Bool) {
        Counter(label: "mdrs_grant_cache_total", dimensions: [("result", hit ? "hit" : "miss")], factory: factory).increment()
    }

    package func chainCall(_ method: String) {
        Counter(label: "mdrs_chain_calls_total", dimensions: [("method", method)], factory: factory).increment()
    }

    /// Every JSON-RPC request sent to a chain node (the read path's, the watcher's, the log
    /// writer's and the audit index's), by method.
    package func rpcRequest(_ method: String) {
        Counter(label: "mdrs_rpc_requests_total", dimensions: [("method", method)], factory: factory).increment()
    }

    /// One group of releases written by one statement and one commit (rows / groups is the
    /// mean group size).
    package func accessGroup(rows: Int) {
        Counter(label: "mdrs_access_groups_total", factory: factory).increment()
        Counter(label: "mdrs_access_group_rows_total", factory: factory).increment(by: Int64(rows))
    }

    package func logTransaction(_ event: String) {
        Counter(label: "mdrs_log_transactions_total", dimensions: [("event", event)], factory: factory).increment()
    }

    package func outbox(_ backlog: OutboxStatus.Backlog, now: Date = Date()) {
        Gauge(label: "mdrs_outbox_depth", factory: factory).record(backlog.depth)
        for (kind, oldest) in [("served", backlog.oldestServed), ("denial", backlog.oldestDenial), ("anchor", backlog.oldestAnchor)] {
            Gauge(label: "mdrs_outbox_oldest_age_seconds", dimensions: [("kind", kind)], factory: factory)
                .record(oldest.map { now.timeIntervalSince($0) } ?? 0)
        }
        if let unreviewed = backlog.unreviewedEmergencies {
            Gauge(label: "mdrs_emergencies_unreviewed", factory: factory).record(unreviewed)
            Gauge(label: "mdrs_emergency_oldest_unreviewed_seconds", factory: factory)
                .record(backlog.oldestUnreviewedEmergency.map { now.timeIntervalSince($0) } ?? 0)
        }
    }

    /// Whether the database probe finds PostgreSQL answering (1) or not (0). While it is 0 the
    /// outbox gauges keep their last reading: they cannot be read without the database.
    package func databaseUp(_ up: Bool) {
        Gauge(label: "mdrs_database_up", factory: factory).record(up ? 1 : 0)
    }

    /// The outbox writer started over after a failure (a database or node fault).
    package func outboxWriterRestart() {
        Counter(label: "mdrs_outbox_writer_restarts_total", factory: factory).increment()
    }

    /// This process now writes the log under `term` of the writer's lease, or (0) stands by.
    package func outboxWriterTerm(_ term: Int64) {
        Gauge(label: "mdrs_outbox_writer_term", factory: factory).record(term)
    }

    /// What the background audit check found, by kind: alert on any but `waiting`.
    package func auditFindings(_ report: ConsistencyReport) {
        let counts = report.counts
        let kinds: [(String, Int)] = [
            ("missing_on_chain", counts.missingOnChain), ("unknown_here", counts.unknownHere), ("lost_in_restore", counts.lostInRestore), ("commitment_mismatch", counts.commitmentMismatch),
            ("rejected", counts.rejected), ("overdue", counts.overdue), ("served_after_revocation", counts.servedAfterRevocation),
            ("served_after_expiry", counts.servedAfterExpiry), ("served_after_registration_change", counts.servedAfterRegistrationChange),
            ("sequence_gaps", Int(report.sequence.missingNumbers)), ("sequence_repeats", Int(report.sequence.repeatedNumbers)),
        ]
        for (kind, count) in kinds {
            Gauge(label: "mdrs_audit_findings", dimensions: [("kind", kind)], factory: factory).record(count)
        }
    }

    package func logLag(seconds: Double) {
        Gauge(label: "mdrs_log_lag_seconds", factory: factory).record(seconds)
    }

    /// An access row the contract will not log. `served` rows are incidents (alert on them): a
    /// record left and the chain does not account for it.
    package func logEntryRejected(served: Bool, reason: String) {
        Counter(
            label: "mdrs_log_entries_rejected_total", dimensions: [("outcome", served ? "served" : "denied"), ("reason", reason)],
            factory: factory
        ).increment()
    }

    /// Two chain nodes answered an authorising read differently.
    package func chainDisagreement(_ read: String) {
        Counter(label: "mdrs_chain_disagreements_total", dimensions: [("read", read)], factory: factory).increment()
    }

    /// A refusal that was only counted: its signer is unknown, or it exceeded its signer's
    /// budget of logged refusals.
    package func refusalUnlogged(_ why: String) {
        Counter(label: "mdrs_refusals_unlogged_total", dimensions: [("why", why)], factory: factory).increment()
    }

    /// A request refused by the per-client rate limit before any work.
    package func rateLimited() {
        Counter(label: "mdrs_rate_limited_total", factory: factory).increment()
    }

    package func chainHead(_ number: UInt64) {
        Gauge(label: "mdrs_chain_head_block", factory: factory).record(Int64(number))
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
