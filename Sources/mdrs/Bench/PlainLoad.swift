import ArgumentParser
import AsyncHTTPClient

/// `mdrs bench get`: the same load as `mdrs bench fetch`, as plain GETs of one URL: the baseline
/// of a static file server (nginx) serving the same bytes on the same machine.
struct PlainLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Drive plain GETs of one URL over many connections; print rate and latency.")

    @Option(help: "The URL to GET.") var url: String
    @Option(help: "Requests to send.") var requests = 20_000
    @Option(help: "Concurrent keep-alive connections.") var connections = 64
    @Option(help: "Stop after this many seconds even if requests are left.") var seconds = 10.0

    func run() async throws {
        guard requests > 0, connections > 0, seconds > 0 else { throw ValidationError("requests, connections and seconds must be positive") }
        try await LoadRun.withHTTPClient(connections: connections) { httpClient in
            let request = HTTPClientRequest(url: url)
            let run = try await LoadRun.drive(
                httpClient, requests: Array(repeating: request, count: requests), connections: connections, seconds: seconds)
            run.print("gets")
        }
    }
}
