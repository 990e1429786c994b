import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// Sends prepared requests over `connections` keep-alive connections, each request once, for at
/// most `seconds`, and reports what came back: the one load loop of `mdrs bench fetch` and
/// `mdrs bench get`, so the gateway and a plain file server are measured the same way.
struct LoadRun: Sendable {
    /// Microseconds per answered or failed request, sorted.
    let latencies: [Int64]
    /// Answers by status; 0 counts requests that got no answer.
    let statuses: [Int: Int]
    let seconds: Double
    let connections: Int

    static func drive(_ httpClient: HTTPClient, requests: [HTTPClientRequest], connections: Int, seconds: Double) async throws -> LoadRun {
        let next = Ticket()
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        let started = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: ([Int64], [Int: Int]).self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var latencies = [Int64](), statuses = [Int: Int]()
                    while ContinuousClock.now < deadline {
                        let index = next.take()
                        guard index < requests.count else { break }
                        let sent = ContinuousClock.now
                        do {
                            let response = try await httpClient.execute(requests[index], timeout: .seconds(30))
                            _ = try await response.body.collect(upTo: 1 << 20)
                            statuses[Int(response.status.code), default: 0] += 1
                        } catch {
                            statuses[0, default: 0] += 1
                        }
                        let elapsed = sent.duration(to: .now)
                        latencies.append(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)
                    }
                    return (latencies, statuses)
                }
            }
            var all = ([Int64](), [Int: Int]())
            for try await (latencies, statuses) in group {
                all.0 += latencies
                all.1.merge(statuses, uniquingKeysWith: +)
            }
            return all
        }
        let wall = started.duration(to: .now)
        return LoadRun(
            latencies: results.0.sorted(), statuses: results.1,
            seconds: Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18, connections: connections)
    }

    /// Runs `body` with an HTTP client that keeps up to `connections` connections to a host
    /// open, and shuts it down after, also when `body` throws.
    static func withHTTPClient<T>(connections: Int, _ body: (HTTPClient) async throws -> T) async throws -> T {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let result: T
        do {
            result = try await body(httpClient)
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
        return result
    }

    var ok: Int { statuses[200] ?? 0 }
    var rate: Double { Double(latencies.count) / seconds }

    func percentile(_ q: Double) -> String {
        guard !latencies.isEmpty else { return "-" }
        let micros = latencies[min(latencies.count - 1, Int(q * Double(latencies.count)))]
        return String(format: "%.2f ms", Double(micros) / 1000)
    }

    /// Rate, latency percentiles and every non-200 status, as `deploy/dev bench` reads them.
    func print(_ what: String) {
        Swift.print(String(format: "\(what): %d in %.2f s over %d connections = %.0f/s (%d served)", latencies.count, seconds, connections, rate, ok))
        Swift.print("latency: p50 \(percentile(0.50)), p90 \(percentile(0.90)), p99 \(percentile(0.99)), max \(percentile(1.0))")
        let others = statuses.filter { $0.key != 200 }.sorted { $0.key < $1.key }
        Swift.print("non-200: " + (others.isEmpty ? "none" : others.map { ($0.key == 0 ? "no answer" : "\($0.key)") + " × \($0.value)" }.joined(separator: ", ")))
    }
}

/// Hands out request indexes to the connections, each once.
final class Ticket: Sendable {
    private let next = Mutex(0)

    func take() -> Int {
        next.withLock { value in
            defer { value += 1 }
            return value
        }
    }
}
