import AsyncHTTPClient
import Foundation
import Testing

/// Debian's nginx in front of gateway processes, as `deploy/production` runs it: round robin, a
/// request that cannot reach one replica (refused, or answered 503) sent to the next.
final class ReverseProxy: @unchecked Sendable {
    let directory: URL
    let port: Int
    private let process: Process

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts nginx for `upstreams` (base URLs `http://127.0.0.1:PORT`).
    init(upstreams: [String]) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mdrs-nginx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try freePort()
        let servers = upstreams.map { "server \($0.replacingOccurrences(of: "http://", with: "")) max_fails=0;" }
            .joined(separator: " ")
        // The same settings as `deploy/dev up --replicas`, from one template.
        let template = try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("deploy/replicas/nginx.conf.in"), encoding: .utf8)
        let config = template
            .replacingOccurrences(of: "@USER@", with: getuid() == 0 ? "user root;" : "")
            .replacingOccurrences(of: "@DIR@", with: directory.path)
            .replacingOccurrences(of: "@PORT@", with: String(port))
            .replacingOccurrences(of: "@UPSTREAMS@", with: servers)
        try config.write(to: directory.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-c", directory.appendingPathComponent("nginx.conf").path, "-p", directory.path, "-g", "daemon off;"]
        let log = directory.appendingPathComponent("stderr.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = process.standardError
        try process.run()
        let url = baseURL
        try await eventually("nginx listens", timeout: .seconds(15)) {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/health/live"), timeout: .seconds(2))
            _ = try await response.body.collect(upTo: 1 << 16)
            return response.status == .ok
        }
    }

    var errorLog: String {
        String(decoding: FileManager.default.contents(atPath: directory.appendingPathComponent("error.log").path) ?? Data(), as: UTF8.self)
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
