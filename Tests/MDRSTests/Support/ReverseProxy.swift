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
            .joined(separator: "\n        ")
        let root = getuid() == 0 ? "user root;" : ""
        let path = directory.path
        let config = """
            \(root)
            daemon off;
            worker_processes 1;
            pid \(path)/nginx.pid;
            error_log \(path)/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path \(path)/body;
                proxy_temp_path \(path)/proxy;
                fastcgi_temp_path \(path)/fastcgi;
                uwsgi_temp_path \(path)/uwsgi;
                scgi_temp_path \(path)/scgi;
                upstream gateways {
                    \(servers)
                    keepalive 16;
                }
                server {
                    listen 127.0.0.1:\(port);
                    location / {
                        proxy_pass http://gateways;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_set_header Host $host;
                        proxy_buffering off;
                        proxy_request_buffering off;
                        # A replica that refuses the connection, or answers 503 (shutting down, or
                        # it cannot decide now), did nothing with the request: the next one gets it.
                        proxy_next_upstream error timeout http_503;
                        proxy_next_upstream_tries 2;
                        proxy_connect_timeout 2s;
                    }
                }
            }
            """
        try config.write(to: directory.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-c", directory.appendingPathComponent("nginx.conf").path, "-p", path]
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
