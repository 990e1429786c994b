import Crypto
import EthereumCore
import Foundation
import Logging
import MDRSCore
import PostgresNIO

/// Applies the numbered SQL files of the top-level `sql/` folder (compiled into the binary by the
/// EmbedMigrations build plugin) in order, each once and in its own transaction, and checks at
/// start-up that a database is current.
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

    /// Reads the migrations in `directory`, or the ones compiled in when it is nil.
    public init(client: PostgresClient, directory: URL? = nil, logger: Logger) throws {
        self.client = client
        self.logger = logger
        self.migrations = try directory.map(Self.load) ?? Self.embedded()
    }

    /// The migrations compiled into the binary from `sql/`.
    public static func embedded() throws -> [Migration] {
        try validated(
            EmbeddedMigrations.files.map { file in
                guard let data = Data(base64Encoded: file.base64) else {
                    throw GatewayError(.migrationFailed, "the embedded migration \(file.name) is corrupt")
                }
                return try migration(named: file.name, data: data)
            }, from: "the binary")
    }

    static func load(_ directory: URL) throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        } catch {
            throw GatewayError(.migrationFailed, "cannot list migrations in \(directory.path): \(error)")
        }
        return try validated(
            names.map { name in try migration(named: name, data: try Data(contentsOf: directory.appendingPathComponent(name))) },
            from: directory.path)
    }

    static func migration(named name: String, data: Data) throws -> Migration {
        guard let version = Int(name.prefix(while: \.isNumber)), name.dropFirst(3).hasPrefix("_") else {
            throw GatewayError(.migrationFailed, "migration file \(name) is not named NNN_name.sql")
        }
        let checksum = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        return Migration(version: version, name: name, sql: String(decoding: data, as: UTF8.self), checksum: checksum)
    }

    /// In version order, numbered 1, 2, 3, … without a gap, and not none.
    static func validated(_ migrations: [Migration], from source: String) throws -> [Migration] {
        let migrations = migrations.sorted { $0.version < $1.version }
        for (index, migration) in migrations.enumerated() where migration.version != index + 1 {
            throw GatewayError(.migrationFailed, "migrations must be numbered 001, 002, ... without gaps; found \(migration.name)")
        }
        guard !migrations.isEmpty else {
            throw GatewayError(.migrationFailed, "no migrations in \(source)")
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
