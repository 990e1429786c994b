import ArgumentParser
import Logging
import MDRSCore
import MDRSPostgres
import MDRSServer

/// `mdrs serve`: runs the gateway until SIGTERM or SIGINT, then shuts down gracefully.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the gateway.")

    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let configuration = try GatewayConfiguration(settings: try settings.settings())
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
            return handler
        }
        let app = try await buildApplication(configuration)
        try await app.runService()
    }
}

/// `mdrs migrate`: applies pending schema migrations.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending database migrations.")

    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let settings = try settings.settings()
        let applied = try await withPostgres(settings) { client, logger in
            try await Migrator(client: client, directory: migrationsDirectory(settings), logger: logger).migrate()
        }
        print(applied.isEmpty ? "the schema is current" : "applied: \(applied.joined(separator: ", "))")
    }
}
