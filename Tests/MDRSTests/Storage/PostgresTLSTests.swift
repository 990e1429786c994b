import Foundation
import Logging
import MDRSCore
import PostgresNIO
import Testing

/// `postgres.tls` against the test server, which offers TLS with a certificate for localhost
/// and 127.0.0.1 issued by a CA that `deploy/dev test` makes.
@Suite("PostgreSQL over TLS")
struct PostgresTLSTests {
    static func settings(_ mode: String, ca: String? = nil, host: String? = nil) throws -> GatewayConfiguration.Postgres {
        var settings = Settings()
        settings.set("postgres.host", try host ?? TestEnvironment.require("MDRS_TEST_PG_HOST"))
        settings.set("postgres.port", try TestEnvironment.require("MDRS_TEST_PG_PORT"))
        settings.set("postgres.user", try TestEnvironment.require("MDRS_TEST_PG_USER"))
        settings.set("postgres.database", try TestEnvironment.require("MDRS_TEST_PG_DATABASE"))
        settings.set("postgres.tls", mode)
        if let ca { settings.set("postgres.tls_ca_file", ca) }
        return try GatewayConfiguration.Postgres(settings: settings)
    }

    /// Whether the session is encrypted, as the server sees it; throws if no session comes up
    /// within a few seconds.
    static func sessionUsesTLS(_ postgres: GatewayConfiguration.Postgres) async throws -> Bool {
        var configuration = try postgres.clientConfiguration()
        configuration.options.maximumConnections = 1
        let client = PostgresClient(configuration: configuration)
        return try await withThrowingTaskGroup(of: Bool?.self) { group in
            group.addTask { await client.run(); return nil }
            group.addTask {
                let rows = try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: TestEnvironment.logger)
                for try await ssl in rows.decode(Bool.self) { return ssl }
                return false
            }
            group.addTask {
                try await Task.sleep(for: .seconds(8))
                throw CancellationError()
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            return false
        }
    }

    @Test("verify-full with the issuing CA connects over TLS, by IP address and by name", .timeLimit(.minutes(6)))
    func verifyFull() async throws {
        let ca = try TestEnvironment.require("MDRS_TEST_PG_CA")
        #expect(try await Self.sessionUsesTLS(try Self.settings("verify-full", ca: ca)))
        #expect(try await Self.sessionUsesTLS(try Self.settings("verify-full", ca: ca, host: "localhost")))
    }

    @Test("verify-full refuses a server whose certificate another CA issued", .timeLimit(.minutes(6)))
    func wrongAuthority() async throws {
        let other = try TestEnvironment.require("MDRS_TEST_PG_OTHER_CA")
        await #expect(throws: (any Error).self) { _ = try await Self.sessionUsesTLS(try Self.settings("verify-full", ca: other)) }
    }

    @Test("require encrypts without checking; disable does not encrypt", .timeLimit(.minutes(6)))
    func requireAndDisable() async throws {
        #expect(try await Self.sessionUsesTLS(try Self.settings("require")))
        #expect(try await !Self.sessionUsesTLS(try Self.settings("disable")))
    }

    @Test("verify-full without a CA file, or an unknown mode, is a configuration error")
    func invalidSettings() throws {
        #expect(throws: GatewayError.self) { try Self.settings("verify-full") }
        #expect(throws: GatewayError.self) { try Self.settings("prefer") }
        #expect(throws: GatewayError.self) { try Self.settings("verify-full", ca: "/nonexistent/ca.crt").clientConfiguration() }
    }

    @Test("mdrs migrate against a server another CA vouches for fails at once, saying so", .timeLimit(.minutes(6)))
    func migrateWithWrongCA() async throws {
        let other = try TestEnvironment.require("MDRS_TEST_PG_OTHER_CA")
        let process = Process()
        process.executableURL = TestEnvironment.repositoryRoot.appendingPathComponent(".build/debug/mdrs")
        process.arguments = [
            "migrate", "--set", "postgres.host=127.0.0.1", "--set", "postgres.port=\(try TestEnvironment.require("MDRS_TEST_PG_PORT"))",
            "--set", "postgres.user=\(try TestEnvironment.require("MDRS_TEST_PG_USER"))", "--set", "postgres.database=mdrs",
            "--set", "postgres.tls=verify-full", "--set", "postgres.tls_ca_file=\(other)",
        ]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MDRS_") }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("migrate-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        let started = ContinuousClock.now
        try process.run()
        while process.isRunning && ContinuousClock.now - started < .seconds(30) { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { process.terminate() }
        let text = String(decoding: FileManager.default.contents(atPath: output.path) ?? Data(), as: UTF8.self)
        #expect(!process.isRunning && process.terminationStatus != 0, "mdrs migrate did not fail within 30 s: \(text)")
        #expect(text.contains("cannot use PostgreSQL") && text.contains("tls_ca_file"), "\(text)")
    }
}
