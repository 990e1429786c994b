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

    @Test("verify-full with the issuing CA connects over TLS, by IP address and by name", .timeLimit(.minutes(1)))
    func verifyFull() async throws {
        let ca = try TestEnvironment.require("MDRS_TEST_PG_CA")
        #expect(try await Self.sessionUsesTLS(try Self.settings("verify-full", ca: ca)))
        #expect(try await Self.sessionUsesTLS(try Self.settings("verify-full", ca: ca, host: "localhost")))
    }

    @Test("verify-full refuses a server whose certificate another CA issued", .timeLimit(.minutes(1)))
    func wrongAuthority() async throws {
        let other = try TestEnvironment.require("MDRS_TEST_PG_OTHER_CA")
        await #expect(throws: (any Error).self) { _ = try await Self.sessionUsesTLS(try Self.settings("verify-full", ca: other)) }
    }

    @Test("require encrypts without checking; disable does not encrypt", .timeLimit(.minutes(1)))
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
}
