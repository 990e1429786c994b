import Foundation
@testable import MDRSCore
@testable import MDRSPostgres
import PostgresNIO
import Testing

@Suite("Migrations")
struct MigratorTests {
    @Test("the migrations compiled into the binary are exactly the files of sql/, byte for byte")
    func embeddedEqualsSQLFolder() throws {
        let embedded = try Migrator.embedded()
        let folder = try Migrator.load(TestEnvironment.migrations)
        #expect(embedded.map(\.name) == folder.map(\.name))
        #expect(embedded.map(\.checksum) == folder.map(\.checksum))
        #expect(embedded == folder)
    }

    @Test("a new database is not current; migrate applies each file once; a rerun applies none")
    func applyOnce() async throws {
        try await TestEnvironment.withDatabase(migrated: false) { client, _ in
            let migrator = try Migrator(client: client, directory: TestEnvironment.migrations, logger: TestEnvironment.logger)
            let error = await #expect(throws: GatewayError.self) { try await migrator.verifyCurrent() }
            #expect(error?.code == .schemaNotCurrent)
            #expect(error?.message.contains("mdrs migrate") == true)
            #expect(try await migrator.migrate() == migrator.migrations.map(\.name))
            #expect(try await migrator.migrate().isEmpty)
            try await migrator.verifyCurrent()
        }
    }

    @Test("two gateways migrating at once apply each migration once")
    func concurrent() async throws {
        try await TestEnvironment.withDatabase(migrated: false) { client, database in
            let second = PostgresClient(configuration: try TestEnvironment.postgresConfiguration(database: database))
            try await TestEnvironment.run(second) { second in
                let a = try Migrator(client: client, directory: TestEnvironment.migrations, logger: TestEnvironment.logger)
                let b = try Migrator(client: second, directory: TestEnvironment.migrations, logger: TestEnvironment.logger)
                async let first = a.migrate()
                async let other = b.migrate()
                let applied = try await first + other
                #expect(applied.sorted() == a.migrations.map(\.name).sorted())
            }
        }
    }

    @Test("an applied migration that changed, or one this gateway does not know, is an error")
    func drift() async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let migrator = try Migrator(client: client, directory: TestEnvironment.migrations, logger: TestEnvironment.logger)
            try await client.query("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1", logger: TestEnvironment.logger)
            let changed = await #expect(throws: GatewayError.self) { try await migrator.verifyCurrent() }
            #expect(changed?.message.contains("changed") == true)
            try await client.query("UPDATE schema_migrations SET checksum = \(migrator.migrations[0].checksum) WHERE version = 1", logger: TestEnvironment.logger)
            try await client.query("INSERT INTO schema_migrations (version, name, checksum) VALUES (999, '999_future.sql', 'x')", logger: TestEnvironment.logger)
            let newer = await #expect(throws: GatewayError.self) { try await migrator.verifyCurrent() }
            #expect(newer?.code == .schemaNotCurrent)
        }
    }

    @Test("SQL scripts split at top-level semicolons only")
    func splitting() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'semi;colon');
            /* block; comment */ CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
            CREATE FUNCTION g() RETURNS int AS $body$ SELECT 2; $body$ LANGUAGE sql;
            SELECT "odd;name" FROM a;
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 4, "\(statements)")
        #expect(statements[1].contains("$$ SELECT 1; $$"))
    }
}
