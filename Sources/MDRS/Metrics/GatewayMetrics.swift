import CoreMetrics
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

    func request(route: String, outcome: String) {
        Counter(label: "mdrs_requests_total", dimensions: [("route", route), ("outcome", outcome)], factory: factory).increment()
    }

    func bytesStreamed(_ count: Int, direction: String) {
        Counter(label: "mdrs_bytes_streamed_total", dimensions: [("direction", direction)], factory: factory)
            .increment(by: Int64(count))
    }

    func grantCache(hit: Bool) {
        Counter(label: "mdrs_grant_cache_total", dimensions: [("result", hit ? "hit" : "miss")], factory: factory).increment()
    }

    func chainCall(_ method: String) {
        Counter(label: "mdrs_chain_calls_total", dimensions: [("method", method)], factory: factory).increment()
    }

    func logTransaction(_ event: String) {
        Counter(label: "mdrs_log_transactions_total", dimensions: [("event", event)], factory: factory).increment()
    }

    func outbox(depth: Int, oldestAgeSeconds: Double) {
        Gauge(label: "mdrs_outbox_depth", factory: factory).record(depth)
        Gauge(label: "mdrs_outbox_oldest_age_seconds", factory: factory).record(oldestAgeSeconds)
    }

    func logLag(seconds: Double) {
        Gauge(label: "mdrs_log_lag_seconds", factory: factory).record(seconds)
    }

    func chainHead(_ number: UInt64) {
        Gauge(label: "mdrs_chain_head_block", factory: factory).record(Int64(number))
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
