import ArgumentParser
import AsyncHTTPClient
import EthereumCore
import Foundation
import MDRSClient
import MDRSProtocol
import NIOCore
import Synchronization

/// `mdrs bench sustained`: signed fetches at a steady rate for minutes, not a burst. Requests
/// leave on a fixed schedule (open loop: a slow answer does not slow the schedule, and latency
/// counts from the request's scheduled time), each signed just before it leaves so none goes
/// stale however long the run. Every `sample` seconds it prints what was sent and answered, the
/// latency of that interval and the on-chain log's backlog (`mdrs_outbox_depth`, the oldest
/// waiting row's age) from the gateway's `/metrics`; at the end, how long the backlog took to
/// drain.
struct SustainedLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sustained", abstract: "Signed fetches at a steady rate for a long run; print the backlog of the on-chain log over time.")

    @OptionGroup var key: KeyOption
    @Option(help: "The gateway's base URL.") var gateway = "http://127.0.0.1:8080"
    @Option(help: "The grant token.") var token: String
    @Option(help: "The record's encrypted address.") var address: String
    @Option(help: "Fetches a second.") var rate = 100.0
    @Option(help: "How long the run lasts, in seconds.") var seconds = 300.0
    @Option(help: "At most this many requests in flight (more wait, and count late).") var connections = 64
    @Option(help: "Seconds between two printed samples.") var sample = 10.0
    @Option(help: "The metrics URL (default: the gateway's /metrics).") var metrics: String?

    /// What one interval saw.
    struct Interval: Sendable {
        var sent = 0
        var ok = 0
        var failed = 0
        var latencies = [Int64]()

        mutating func note(ok answered: Bool, micros: Int64) {
            sent += 1
            if answered { ok += 1 } else { failed += 1 }
            latencies.append(micros)
        }
    }

    /// The current interval's figures and the whole run's.
    final class Counters: Sendable {
        let interval = Mutex(Interval())
        let total = Mutex(Interval())
    }

    func run() async throws {
        guard rate > 0, seconds > 0, connections > 0, sample > 0 else { throw ValidationError("rate, seconds, connections and sample must be positive") }
        let token = try bytes32(token, "--token")
        try await LoadRun.withHTTPClient(connections: connections) { try await drive($0, token: token) }
    }

    private func drive(_ httpClient: HTTPClient, token: Bytes32) async throws {
        let client = try await GatewayClient(baseURL: gateway, key: try key.load(), httpClient: httpClient)
        let metricsURL = metrics ?? gateway + "/metrics"
        let address = self.address
        let counters = Counters()
        let sample = self.sample
        let slots = AsyncSemaphore(connections)
        let period = Duration.nanoseconds(Int64(1e9 / rate))
        let count = Int(rate * seconds)
        let started = ContinuousClock.now
        print(String(format: "sustained: %.0f fetches/s for %.0f s (%d requests), at most %d in flight", rate, seconds, count, connections))
        print("    t   sent     ok  failed   p50 ms   p99 ms  backlog  oldest s")

        let sampler = Task {
            var next = started + .milliseconds(Int64(sample * 1000))
            while !Task.isCancelled {
                try await Task.sleep(until: next)
                next += .milliseconds(Int64(sample * 1000))
                let seen = counters.interval.withLock { value in
                    defer { value = Interval() }
                    return value
                }
                let depth = (try? await FetchLoad.metric("mdrs_outbox_depth", httpClient, metricsURL)) ?? -1
                let oldest = (try? await FetchLoad.series("mdrs_outbox_oldest_age_seconds", httpClient, metricsURL))?
                    .first { $0.key.contains("served") }?.value ?? -1
                let at = started.duration(to: .now).components.seconds
                print(
                    Self.pad("\(at)", 5) + Self.pad("\(seen.sent)", 7) + Self.pad("\(seen.ok)", 7) + Self.pad("\(seen.failed)", 8)
                        + Self.pad(Self.percentile(seen.latencies, 0.5), 9) + Self.pad(Self.percentile(seen.latencies, 0.99), 9)
                        + Self.pad(String(format: "%.0f", depth), 9) + Self.pad(String(format: "%.1f", oldest), 10))
            }
        }
        await withDiscardingTaskGroup { group in
            for index in 0..<count {
                let scheduled = started + period * index
                try? await Task.sleep(until: scheduled)
                await slots.wait()
                group.addTask {
                    defer { slots.signal() }
                    var ok = false
                    do {
                        let request = try client.fetchRequest(token: token, encryptedAddress: address, purpose: .treatment)
                        let response = try await httpClient.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        ok = response.status == .ok
                    } catch {
                        ok = false
                    }
                    let elapsed = scheduled.duration(to: .now)
                    let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
                    counters.interval.withLock { $0.note(ok: ok, micros: micros) }
                    counters.total.withLock { $0.note(ok: ok, micros: micros) }
                }
            }
        }
        let wall = started.duration(to: .now)
        sampler.cancel()
        let all = counters.total.withLock { $0 }
        let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        print(
            String(format: "sustained total: %d sent in %.1f s = %.1f/s, %d served, %d failed; ", all.sent, wallSeconds,
                   Double(all.sent) / wallSeconds, all.ok, all.failed)
                + "latency from the scheduled time p50 \(Self.percentile(all.latencies, 0.5)) ms, "
                + "p99 \(Self.percentile(all.latencies, 0.99)) ms, max \(Self.percentile(all.latencies, 1.0)) ms")
        let drainStarted = ContinuousClock.now
        var depth = try await FetchLoad.metric("mdrs_outbox_depth", httpClient, metricsURL)
        let left = depth
        while depth > 0 && drainStarted.duration(to: .now) < .seconds(600) {
            try await Task.sleep(for: .milliseconds(200))
            depth = try await FetchLoad.metric("mdrs_outbox_depth", httpClient, metricsURL)
        }
        let drained = drainStarted.duration(to: .now)
        print(
            String(format: "backlog at the end: %.0f rows, on-chain %.1f s later", left,
                   Double(drained.components.seconds) + Double(drained.components.attoseconds) / 1e18)
                + (depth > 0 ? " (NOT drained)" : ""))
    }

    static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    static func percentile(_ values: [Int64], _ q: Double) -> String {
        guard !values.isEmpty else { return "-" }
        let sorted = values.sorted()
        return String(format: "%.1f", Double(sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))]) / 1000)
    }
}

/// A counting semaphore for tasks.
final class AsyncSemaphore: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(_ count: Int) { state = Mutex(State(available: count)) }

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume()
    }
}
