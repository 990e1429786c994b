#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
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
        Self.keepLargeBuffers()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
            return handler
        }
        let logger = Logger(label: "mdrs")
        let drain = RequestDrain(timeout: configuration.http.drainTimeout, logger: logger)
        let app = try await buildApplication(configuration, drain: drain)
        try await runGateway(app, drain: drain, logger: logger)
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

extension ServeCommand {
    /// Every streamed chunk allocates buffers of a chunk's size (1 MiB by default). glibc serves
    /// allocations that large with a fresh `mmap` each, and returns them on `free`: profiled, the
    /// kernel's page zeroing and faults for them took ≈ 13 % of the gateway's CPU during a
    /// download. Served from the heap and kept there, the same few buffers are reused. The heap
    /// stays bounded by what is in use at once (a few chunks per response), in one arena per core.
    static func keepLargeBuffers() {
        #if canImport(Glibc)
        // <malloc.h> is not in Swift's Glibc module: look `mallopt` up, with glibc's option numbers.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3, arenaMax: Int32 = -8
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, 64 << 20)
        // glibc gives threads up to 8 arenas per core, and each keeps the chunk buffers freed in
        // it: one per core is enough for the event loops and the task pool, and a 1 GiB upload
        // and download then peak at 45-48 MiB above idle instead of 54-66 (docs/benchmarks.md).
        _ = mallopt(arenaMax, Int32(max(2, ProcessInfo.processInfo.activeProcessorCount)))
        #endif
    }
}
