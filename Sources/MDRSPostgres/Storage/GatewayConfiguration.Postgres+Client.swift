import Foundation
import MDRSCore
import NIOSSL
import Logging
import PostgresNIO

extension GatewayConfiguration.Postgres {
    /// A PostgresNIO client configuration for these settings.
    public func clientConfiguration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = try tlsConfiguration().map { .require($0) } ?? .disable
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: try passwordFile.map(SecretFile.readText),
            database: database, tls: tls)
        configuration.options.maximumConnections = maximumConnections
        return configuration
    }

    /// The same settings for a single connection outside the pool (the database probe's).
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS = try tlsConfiguration().map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: try passwordFile.map(SecretFile.readText), database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(2)
        return configuration
    }

    /// The TLS settings of `postgres.tls`, nil for `disable`.
    func tlsConfiguration() throws -> TLSConfiguration? {
        switch tls {
        case .disable:
            return nil
        case .require:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            return tls
        case .verifyFull:
            guard let tlsCAFile else { throw GatewayError(.invalidConfiguration, "postgres.tls = verify-full needs postgres.tls_ca_file") }
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMFile(tlsCAFile)
            } catch {
                throw GatewayError(.invalidConfiguration, "postgres.tls_ca_file \(tlsCAFile) holds no PEM certificate: \(error)")
            }
            guard !roots.isEmpty else {
                throw GatewayError(.invalidConfiguration, "postgres.tls_ca_file \(tlsCAFile) holds no PEM certificate")
            }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(roots)
            // Chain and host name (or IP address) of the server, like libpq's verify-full.
            tls.certificateVerification = .fullVerification
            return tls
        }
    }
}

extension GatewayConfiguration.Postgres {
    /// Opens one connection and asks `SELECT 1`, so that a tool fails at once with what is wrong
    /// (refused, unknown host, a certificate the CA file does not vouch for, a wrong password)
    /// instead of a pool retrying for ever.
    public func checkReachable(timeout: Duration = .seconds(10)) async throws {
        var configuration = try connectionConfiguration()
        configuration.options.connectTimeout = .seconds(Int64(timeout.components.seconds))
        let logger = Logger(label: "mdrs.preflight")
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            defer { Task { try? await connection.close() } }
            _ = try await connection.query("SELECT 1", logger: logger).collect()
        } catch {
            let detail = String(reflecting: error)
            let hint = detail.contains("SSL") || detail.contains("certificate") || detail.contains("handshake")
                ? " (TLS: is the server's certificate issued by postgres.tls_ca_file, for host \(host)?)" : ""
            throw GatewayError(.invalidConfiguration, "cannot use PostgreSQL at \(host):\(port), database \(database)\(hint): \(detail)")
        }
    }
}
