import Crypto
import EthereumCore
import Foundation
import Logging
import MDRSCore
import PostgresNIO

/// Applies the numbered SQL files (bundled with the binary, `Sources/MDRSPostgres/Migrations`) in order, each once and in its own transaction,
/// and checks at start-up that a database is current.
///
/// Two gateways starting at once serialise on a PostgreSQL advisory lock, so a migration is
/// never applied twice. An applied file that has since changed is an error, not a silent skip.
public struct Migrator: Sendable {
    /// One `NNN_name.sql` file.
    public struct Migration: Equatable, Sendable {
        public let version: Int
        public let name: String
        public let sql: String
        /// SHA-256 of the file, recorded when applied.
        public let checksum: String
    }

    /// Arbitrary but fixed: the advisory lock key every gateway agrees on ("MDRSMIGR").
    static let lockKey: Int64 = 0x4D44_5253_4D49_4752

    public let migrations: [Migration]
    let client: PostgresClient
    let logger: Logger

    /// Reads the migrations in `directory`, or the bundled ones when it is nil.
    public init(client: PostgresClient, directory: URL? = nil, logger: Logger) throws {
        self.client = client
        self.logger = logger
        self.migrations = try Self.load(directory ?? Self.bundledDirectory())
    }

    /// The migrations bundled with the binary, so that it does not depend on its working directory.
    public static func bundledDirectory() throws -> URL {
        // `Bundle.module` ends the process when its bundle is missing: look for it first, and
        // refuse with a message instead.
        let installed = Bundle.main.bundleURL.appendingPathComponent("mdrs-gateway_MDRSPostgres.resources")
        guard FileManager.default.fileExists(atPath: installed.path) else {
            throw GatewayError(
                .migrationFailed,
                "the bundled migrations are not installed next to the binary (\(installed.path)); copy the bundle there or set migrations.directory")
        }
        // Where Foundation roots a bundle's resources differs by platform: look in both places.
        let bundle = Bundle.module
        let candidates = [bundle.bundleURL.appendingPathComponent("Migrations"), bundle.resourceURL?.appendingPathComponent("Migrations")]
        guard let url = candidates.compactMap({ $0 }).first(where: { FileManager.default.fileExists(atPath: $0.appendingPathComponent("001_records.sql").path) }) else {
            throw GatewayError(
                .migrationFailed,
                "the bundled migrations are not installed next to the binary (\(bundle.bundleURL.path)); set migrations.directory")
        }
        return url
    }

    static func load(_ directory: URL) throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        } catch {
            throw GatewayError(.migrationFailed, "cannot list migrations in \(directory.path): \(error)")
        }
        let migrations = try names.map { name -> Migration in
            guard let version = Int(name.prefix(while: \.isNumber)), name.dropFirst(3).hasPrefix("_") else {
                throw GatewayError(.migrationFailed, "migration file \(name) is not named NNN_name.sql")
            }
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            let checksum = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            return Migration(version: version, name: name, sql: String(decoding: data, as: UTF8.self), checksum: checksum)
        }.sorted { $0.version < $1.version }
        for (index, migration) in migrations.enumerated() where migration.version != index + 1 {
            throw GatewayError(.migrationFailed, "migrations must be numbered 001, 002, ... without gaps; found \(migration.name)")
        }
        guard !migrations.isEmpty else {
            throw GatewayError(.migrationFailed, "no migrations in \(directory.path)")
        }
        return migrations
    }

    /// Applies every pending migration; returns the names applied.
    @discardableResult
    public func migrate() async throws -> [String] {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let applied = try await applyPending(on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [String] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        let applied = try await appliedMigrations(on: connection)
        try check(applied: applied, allowPending: true)
        var names = [String]()
        for migration in migrations where applied[migration.version] == nil {
            logger.info("applying migration", metadata: ["migration": "\(migration.name)"])
            do {
                try await connection.withTransaction(logger: logger) { connection in
                    for statement in SQLScript.statements(migration.sql) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                        logger: logger)
                }
            } catch {
                throw GatewayError(.migrationFailed, "migration \(migration.name) failed and was rolled back: \(String(reflecting: error))")
            }
            names.append(migration.name)
        }
        return names
    }

    /// Throws ``GatewayError/Code/schemaNotCurrent`` unless every migration is applied unchanged.
    public func verifyCurrent() async throws {
        let applied = try await client.withConnection { connection in
            let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
                .decode(Bool.self).first(where: { _ in true }) ?? false
            guard exists else { return [Int: (String, String)]() }
            return try await appliedMigrations(on: connection)
        }
        try check(applied: applied, allowPending: false)
    }

    private func appliedMigrations(on connection: PostgresConnection) async throws -> [Int: (String, String)] {
        var applied = [Int: (String, String)]()
        let rows = try await connection.query("SELECT version, name, checksum FROM schema_migrations", logger: logger)
        for try await (version, name, checksum) in rows.decode((Int, String, String).self) {
            applied[version] = (name, checksum)
        }
        return applied
    }

    private func check(applied: [Int: (String, String)], allowPending: Bool) throws {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, (name, checksum)) in applied.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[version] else {
                throw GatewayError(
                    .schemaNotCurrent,
                    "the database has migration \(name), which this gateway does not know: it is older than the schema")
            }
            guard migration.checksum == checksum else {
                throw GatewayError(
                    .schemaNotCurrent, "migration \(migration.name) changed after it was applied (checksum differs)")
            }
        }
        let pending = migrations.filter { applied[$0.version] == nil }
        if !allowPending && !pending.isEmpty {
            throw GatewayError(
                .schemaNotCurrent,
                "the database schema is not current: \(pending.count) migration(s) pending (\(pending.map(\.name).joined(separator: ", "))); run `mdrs migrate`")
        }
    }
}
