import ArgumentParser
import AsyncHTTPClient
import EthereumCore
import Foundation
import MDRSClient
import MDRSProtocol
import NIOCore
import Synchronization

/// `mdrs bench fetch`: small signed fetches against a running gateway as fast as it serves
/// them. Every request is signed before the clock starts (each its own nonce), then driven over
/// `connections` keep-alive connections for at most `seconds`; it prints requests/s, latency
/// percentiles, every non-200 status and the gateway's chain calls per fetch (from its
/// `/metrics`, read before and after).
struct FetchLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch", abstract: "Drive pre-signed fetches of one record over many connections; print rate and latency.")

    @OptionGroup var key: KeyOption
    @Option(help: "The gateway's base URL.") var gateway = "http://127.0.0.1:8080"
    @Option(help: "The grant token.") var token: String
    @Option(help: "The record's encrypted address.") var address: String
    @Option(help: "Requests signed in advance (each is sent once).") var requests = 20_000
    @Option(help: "Concurrent keep-alive connections.") var connections = 64
    @Option(help: "Stop after this many seconds even if requests are left.") var seconds = 10.0
    @Option(help: "The metrics URL (default: the gateway's /metrics).") var metrics: String?
    @Option(
        help: "Only sign: write the requests to this file, one a line (the path, then each header as `Name: value`, tab-separated), for a load generator such as wrk.")
    var writeRequests: String?

    func run() async throws {
        guard requests > 0, connections > 0, seconds > 0 else { throw ValidationError("requests, connections and seconds must be positive") }
        let token = try bytes32(token, "--token")
        try await LoadRun.withHTTPClient(connections: connections) { try await drive($0, token: token) }
    }

    private func drive(_ httpClient: HTTPClient, token: Bytes32) async throws {
        let client = try await GatewayClient(baseURL: gateway, key: try key.load(), httpClient: httpClient)
        let address = self.address
        let signingStarted = ContinuousClock.now
        var signed = [HTTPClientRequest]()
        signed.reserveCapacity(requests)
        for _ in 0..<requests {
            signed.append(try client.fetchRequest(token: token, encryptedAddress: address, purpose: .treatment))
        }
        FileHandle.standardError.write(Data("signed \(requests) requests in \(signingStarted.duration(to: .now))\n".utf8))
        if let writeRequests {
            let path = "/v1/access/" + address
            let lines = signed.map { request in
                ([path] + request.headers.map { "\($0.name): \($0.value)" }).joined(separator: "\t")
            }
            guard FileManager.default.createFile(atPath: writeRequests, contents: Data((lines.joined(separator: "\n") + "\n").utf8)) else {
                throw ValidationError("cannot write \(writeRequests)")
            }
            return
        }
        let metricsURL = metrics ?? gateway + "/metrics"
        let callsBefore = try await Self.series("mdrs_chain_calls_total", httpClient, metricsURL)
        let requestsBefore = try await Self.metric("mdrs_rpc_requests_total", httpClient, metricsURL)
        let batchesBefore = try await Self.metric("mdrs_log_transactions_total", httpClient, metricsURL, labels: "event=\"confirmed\"")

        let started = ContinuousClock.now
        let run = try await LoadRun.drive(httpClient, requests: signed, connections: connections, seconds: seconds)
        let callsAfter = try await Self.series("mdrs_chain_calls_total", httpClient, metricsURL)
        let requestsDuringLoad = try await Self.metric("mdrs_rpc_requests_total", httpClient, metricsURL) - requestsBefore
        run.print("fetches")
        let latencies = run.latencies, ok = run.ok
        let callsBySeries = callsAfter.mapValues { $0 }.merging(callsBefore.mapValues { -$0 }, uniquingKeysWith: +).filter { $0.value > 0 }
        let calls = callsBySeries.values.reduce(0, +)
        print(String(format: "chain calls by the gateway: %.0f = %.4f per fetch", calls, latencies.isEmpty ? 0 : calls / Double(latencies.count)))
        print("  by call: " + callsBySeries.sorted { $0.value > $1.value }.map { "\($0.key) \(Int($0.value))" }.joined(separator: ", "))

        // The on-chain log: every served fetch is a row the outbox writer sends; how long until
        // the last is on-chain says how many accesses a second the writer sustains.
        let drainLimit = ContinuousClock.now + .seconds(600)
        var depth = try await Self.metric("mdrs_outbox_depth", httpClient, metricsURL)
        while depth > 0 && ContinuousClock.now < drainLimit {
            try await Task.sleep(for: .milliseconds(100))
            depth = try await Self.metric("mdrs_outbox_depth", httpClient, metricsURL)
        }
        let drained = started.duration(to: .now)
        let drainedSeconds = Double(drained.components.seconds) + Double(drained.components.attoseconds) / 1e18
        let batches = try await Self.metric("mdrs_log_transactions_total", httpClient, metricsURL, labels: "event=\"confirmed\"") - batchesBefore
        let requestsThroughDrain = try await Self.metric("mdrs_rpc_requests_total", httpClient, metricsURL) - requestsBefore
        let fetches = Double(max(1, ok))
        print(String(
            format: "JSON-RPC requests to the node, everything (the log writer's included): %.0f during the load = %.4f per fetch; %.0f through the drain = %.4f per fetch",
            requestsDuringLoad, requestsDuringLoad / fetches, requestsThroughDrain, requestsThroughDrain / fetches))
        if depth > 0 {
            print(String(format: "on-chain log: %.0f rows still queued %.0f s after the run began", depth, drainedSeconds))
        } else {
            print(String(format: "on-chain log: all %d served rows confirmed %.2f s after the run began = %.0f accesses/s (%.0f batches)",
                         ok, drainedSeconds, Double(ok) / drainedSeconds, batches))
        }
    }

    /// The sum of a metric's series (those with `labels` among theirs, when given).
    static func metric(_ name: String, _ httpClient: HTTPClient, _ url: String, labels: String? = nil) async throws -> Double {
        try await series(name, httpClient, url).filter { labels.map($0.key.contains) ?? true }.values.reduce(0, +)
    }

    /// Every series of the metric `name`, by its labels (`{...}`, or "" for none).
    static func series(_ name: String, _ httpClient: HTTPClient, _ url: String) async throws -> [String: Double] {
        let response = try await httpClient.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 16 << 20))
        var series = [String: Double]()
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let value = Double(parts[parts.count - 1]) else { continue }
            series[String(parts[0].dropFirst(name.count)), default: 0] += value
        }
        return series
    }
}
