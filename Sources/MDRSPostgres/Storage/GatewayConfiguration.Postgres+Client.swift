import Foundation
import MDRSCore
import NIOSSL
import PostgresNIO

extension GatewayConfiguration.Postgres {
    /// A PostgresNIO client configuration for these settings.
    public func clientConfiguration() throws -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: try passwordFile.map(SecretFile.readText),
            database: database, tls: try clientTLS())
        configuration.options.maximumConnections = maximumConnections
        return configuration
    }

    func clientTLS() throws -> PostgresClient.Configuration.TLS {
        switch tls {
        case .disable:
            return .disable
        case .require:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            return .require(tls)
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
            return .require(tls)
        }
    }
}
