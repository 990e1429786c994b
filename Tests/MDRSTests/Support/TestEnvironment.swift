import EthereumCore
import Foundation
import Logging
import MDRSPostgres
import NIOCore
import PostgresNIO
import Testing

/// The PostgreSQL server and dev chain that `deploy/dev test` starts for the tests.
enum TestEnvironment {
    static let environment = ProcessInfo.processInfo.environment

    static func require(_ name: String) throws -> String {
        try #require(environment[name], "\(name) is not set: run the tests with `deploy/dev test`")
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    static var migrations: URL { repositoryRoot.appendingPathComponent("sql") }

    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }()

    static func postgresConfiguration(database: String) throws -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: try require("MDRS_TEST_PG_HOST"), port: Int(try require("MDRS_TEST_PG_PORT")) ?? 5432,
            username: try require("MDRS_TEST_PG_USER"), password: nil, database: database, tls: .disable)
        configuration.options.maximumConnections = 8
        return configuration
    }

    /// Runs `body` with a client on a new, empty database of its own, so tests run in parallel
    /// without seeing each other's rows.
    static func withDatabase<T: Sendable>(
        migrated: Bool = true, _ body: @Sendable (PostgresClient, String) async throws -> T
    ) async throws -> T {
        let name = "t_" + Hex.encode(Bytes32.random().bytes.prefix(8), prefix: false)
        let admin = PostgresClient(configuration: try postgresConfiguration(database: try require("MDRS_TEST_PG_DATABASE")))
        try await run(admin) { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        let client = PostgresClient(configuration: try postgresConfiguration(database: name))
        return try await run(client) { client in
            if migrated {
                try await Migrator(client: client, directory: migrations, logger: logger).migrate()
            }
            return try await body(client, name)
        }
    }

    /// Runs `body` while `client.run()` runs beside it.
    static func run<T: Sendable>(_ client: PostgresClient, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}

/// A deterministic byte pattern of a given length, produced piece by piece.
struct PatternBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let length: Int
    let pieceSize: Int
    let seed: UInt8

    init(length: Int, pieceSize: Int = 7_919, seed: UInt8 = 1) {
        self.length = length
        self.pieceSize = pieceSize
        self.seed = seed
    }

    static func byte(at offset: Int, seed: UInt8) -> UInt8 {
        UInt8(truncatingIfNeeded: offset &* 31 &+ (offset >> 8) &+ Int(seed))
    }

    var bytes: [UInt8] { (0..<length).map { Self.byte(at: $0, seed: seed) } }

    func makeAsyncIterator() -> Iterator { Iterator(body: self) }

    struct Iterator: AsyncIteratorProtocol {
        let body: PatternBody
        var offset = 0

        mutating func next() async throws -> ByteBuffer? {
            guard offset < body.length else { return nil }
            let count = Swift.min(body.pieceSize, body.length - offset)
            var buffer = ByteBuffer()
            buffer.reserveCapacity(count)
            for index in offset..<offset + count { buffer.writeInteger(PatternBody.byte(at: index, seed: body.seed)) }
            offset += count
            return buffer
        }
    }
}

extension RecordReader {
    /// All bytes, for tests of small records.
    func collectBytes() async throws -> [UInt8] {
        var bytes = [UInt8]()
        for try await buffer in self { bytes += Array(buffer.readableBytesView) }
        return bytes
    }
}
