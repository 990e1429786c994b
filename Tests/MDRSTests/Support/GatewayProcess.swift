import AsyncHTTPClient
import Foundation
import Testing

/// `mdrs serve` as a separate process, so a test can kill it with SIGKILL: a real crash, with
/// no graceful shutdown and nothing flushed.
final class GatewayProcess: @unchecked Sendable {
    let configFile: String
    let logFile: String
    /// Set once the process listens (it binds port 0 and logs the port it got).
    private(set) var baseURL = ""
    private var process: Process?

    init(deployment: Deployment, database: String, settings extra: [String: String] = [:]) throws {
        let name = UUID().uuidString
        configFile = deployment.path("gateway-\(name).json")
        logFile = deployment.path("gateway-\(name).log")
        var config: [String: [String: Any]] = [
            "http": ["host": "127.0.0.1", "port": 0],
            "postgres": [
                "host": try TestEnvironment.require("MDRS_TEST_PG_HOST"), "port": Int(try TestEnvironment.require("MDRS_TEST_PG_PORT"))!,
                "user": try TestEnvironment.require("MDRS_TEST_PG_USER"), "database": database,
            ],
            "chain": [
                "rpc_url": deployment.rpcURL, "chain_id": String(deployment.chainId),
                "contract": deployment.contract.address.checksummed, "poll_interval_ms": 100, "timeout_ms": 10000, "head_staleness_ms": 15000,
                "accept_single_node": true, "max_clock_skew_seconds": 0,
            ],
            "outbox": ["interval_ms": 50],
            "custodian": ["key_file": deployment.path("custodian.key")],
            "keys": ["master_file": deployment.path("master.key")],
            "audit": ["auditors": [deployment.auditor.address.checksummed]],
            "migrations": ["directory": TestEnvironment.migrations.path],
            "log": ["level": "info"],
        ]
        for (key, value) in extra {
            let parts = key.split(separator: ".").map(String.init)
            config[parts[0], default: [:]][parts[1]] = value
        }
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configFile))
    }

    static var executable: String {
        TestEnvironment.repositoryRoot.appendingPathComponent(".build/debug/mdrs").path
    }

    /// Starts the process and waits until it listens and, unless `waitUntilReady` is false,
    /// until it reports ready.
    func start(waitUntilReady: Bool = true) async throws {
        FileManager.default.createFile(atPath: logFile, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["serve", "--config", configFile]
        // The configuration file alone decides: MDRS_* variables of the developer's shell
        // (`source .state/dev/env`) would override it.
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MDRS_") }
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        let logFile = self.logFile
        let startOffset = log.offsetInFile
        var port: String?
        try await eventually("the gateway process listens", timeout: .seconds(30)) {
            // Only this run's lines: the log file is shared by restarts.
            let data = FileManager.default.contents(atPath: logFile) ?? Data()
            let text = String(decoding: data.dropFirst(Int(startOffset)), as: UTF8.self)
            guard let range = text.range(of: "listening on 127.0.0.1:") else { return false }
            port = text[range.upperBound...].prefix(while: \.isNumber).description
            return port?.isEmpty == false
        }
        baseURL = "http://127.0.0.1:\(port ?? "0")"
        // Restarts keep the port, as a real deployment would, so clients keep their URL.
        if var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configFile))) as? [String: Any],
            var http = config["http"] as? [String: Any], let port, let number = Int(port)
        {
            http["port"] = number
            config["http"] = http
            try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configFile))
        }
        let url = baseURL
        guard waitUntilReady else { return }
        try await eventually("the gateway process is ready", timeout: .seconds(30)) {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/health/ready"), timeout: .seconds(2))
            _ = try await response.body.collect(upTo: 1 << 16)
            return response.status == .ok
        }
    }

    /// The process's id while it runs.
    var pid: Int32? { process.flatMap { $0.isRunning ? $0.processIdentifier : nil } }

    /// The lines this process (and its earlier runs) logged.
    var log: String { String(decoding: FileManager.default.contents(atPath: logFile) ?? Data(), as: UTF8.self) }

    /// SIGTERM, then waits up to `timeout` for the process to exit; returns its exit status, or
    /// nil if it was still running (it is then killed).
    func terminate(timeout: Duration = .seconds(30)) async -> Int32? {
        guard let process, process.isRunning else { return nil }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        self.process = nil
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            return nil
        }
        return process.terminationStatus
    }

    /// Sends SIGTERM and returns at once (``waitForExit(timeout:)`` waits).
    func signalTerminate() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
    }

    /// Waits up to `timeout` for the process to exit; its exit status, or nil if it still runs.
    func waitForExit(timeout: Duration) async -> Int32? {
        guard let process else { return nil }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { return nil }
        self.process = nil
        return process.terminationStatus
    }

    /// SIGKILL: the process dies at once, mid-whatever.
    func crash() async {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        // Bounded, and stopped by a cancelled test: a Process that never notices the exit must
        // not keep a test (and the suites serialized after it) waiting for ever.
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning && ContinuousClock.now < deadline && !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
        self.process = nil
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
