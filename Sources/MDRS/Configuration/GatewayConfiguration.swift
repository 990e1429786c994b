import BigInt
import Ethereum
import Foundation
import PostgresNIO

/// Everything a gateway needs to run, read from ``Settings``. Every key is listed in
/// `docs/configuration.md`.
public struct GatewayConfiguration: Sendable {
    public struct HTTP: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
    }

    public struct Postgres: Sendable {
        public var host = "127.0.0.1"
        public var port = 5432
        public var user = "mdrs"
        public var database = "mdrs"
        public var passwordFile: String?
        public var maximumConnections = 20

        public init() {}

        /// Just the PostgreSQL settings (for `mdrs migrate` and `mdrs keys rotate`).
        public init(settings s: Settings) throws {
            host = s.string("postgres.host") ?? host
            port = try s.int("postgres.port", default: port)
            user = s.string("postgres.user") ?? user
            database = s.string("postgres.database") ?? database
            passwordFile = s.string("postgres.password_file")
            maximumConnections = try s.int("postgres.max_connections", default: maximumConnections)
        }

        /// A PostgresNIO client configuration for these settings.
        public func clientConfiguration() throws -> PostgresClient.Configuration {
            var configuration = PostgresClient.Configuration(
                host: host, port: port, username: user, password: try passwordFile.map(SecretFile.readText),
                database: database, tls: .disable)
            configuration.options.maximumConnections = maximumConnections
            return configuration
        }
    }

    public struct Chain: Sendable {
        public var rpcURL = "http://127.0.0.1:8545"
        /// Compared with the node's `eth_chainId` at start: the gateway refuses to sign for
        /// another chain.
        public var chainId: BigUInt = 0
        public var contract: Address = .zero
        /// How often the head watcher polls for new blocks (also bounds revocation delay).
        public var pollInterval: Duration = .milliseconds(500)
        /// How old the last successful head poll may be before the gateway stops deciding
        /// (fails closed). Default: max(4 × poll interval, 2 s).
        public var headStaleness: Duration?
        /// Blocks after which a logged access counts as final (0 for QBFT/PBFT, instant finality).
        public var confirmations: UInt64 = 0
        public var requestTimeout: Duration = .seconds(10)
    }

    public struct Outbox: Sendable {
        /// Access entries per transaction.
        public var maximumEntries = 100
        /// Record anchors per transaction (each costs about 205k gas).
        public var maximumAnchors = 20
        /// How long the writer waits to fill a batch.
        public var interval: Duration = .milliseconds(250)
        /// A transaction without a receipt for this long is replaced with a higher fee.
        public var replaceAfter: Duration = .seconds(30)
        /// If the oldest unlogged access is older than this, new fetches are refused.
        public var stallBound: Duration = .seconds(300)
        /// Whether refusals of authenticated requests are logged on-chain too (always locally).
        public var logDenialsOnChain = true
    }

    public var http = HTTP()
    public var postgres = Postgres()
    public var chain = Chain()
    public var outbox = Outbox()
    /// The gateway's signing key file: its address is the custodian's on-chain identity.
    public var custodianKeyFile = ""
    public var masterKeyFile = ""
    public var previousMasterKeyFiles: [String] = []
    /// Address keys of retired master keys (`mdrs keys export-address-key`).
    public var retiredAddressKeyFiles: [String] = []
    public var storage = RecordStore.Configuration()
    /// Requests must be signed within this many seconds of the gateway's clock.
    public var requestWindow: Duration = .seconds(300)
    /// Strict mode: the first byte leaves only after the access is confirmed on-chain.
    public var strict = false
    public var strictTimeout: Duration = .seconds(60)
    /// Addresses allowed to use the audit API.
    public var auditors: [Address] = []
    /// The block the audit API starts reading logs from (the contract's deployment block).
    public var auditFromBlock: UInt64 = 0
    public var migrationsDirectory = "sql"
    public var logLevel = "info"

    public init() {}

    /// The settings keys this configuration reads.
    public static let keys: Set<String> = [
        "http.host", "http.port",
        "postgres.host", "postgres.port", "postgres.user", "postgres.database", "postgres.password_file",
        "postgres.max_connections",
        "chain.rpc_url", "chain.chain_id", "chain.contract", "chain.poll_interval_ms", "chain.head_staleness_ms", "chain.confirmations",
        "chain.timeout_ms",
        "outbox.max_entries", "outbox.max_anchors", "outbox.interval_ms", "outbox.replace_after_seconds",
        "outbox.stall_seconds", "outbox.log_denials_on_chain",
        "custodian.key_file", "keys.master_file", "keys.previous_master_files", "keys.retired_address_key_files",
        "storage.chunk_size", "storage.max_record_bytes",
        "requests.window_seconds", "access.strict", "access.strict_timeout_seconds", "audit.auditors", "audit.from_block",
        "migrations.directory", "log.level",
    ]

    /// Reads and validates the settings.
    public init(settings s: Settings) throws {
        http.host = s.string("http.host") ?? http.host
        http.port = try s.int("http.port", default: http.port)
        postgres = try Postgres(settings: s)
        chain.rpcURL = s.string("chain.rpc_url") ?? chain.rpcURL
        let chainIdText = try s.require("chain.chain_id")
        guard let chainId = BigUInt(chainIdText, radix: 10) ?? (try? Hex.bigQuantity(chainIdText)) else {
            throw GatewayError(.invalidConfiguration, "chain.chain_id must be a number, got \(chainIdText)")
        }
        chain.chainId = chainId
        chain.contract = try s.address("chain.contract")
        chain.pollInterval = .milliseconds(try s.int("chain.poll_interval_ms", default: 500))
        if s.string("chain.head_staleness_ms") != nil {
            chain.headStaleness = .milliseconds(try s.int("chain.head_staleness_ms", default: 2000))
        }
        let confirmations = try s.int("chain.confirmations", default: 0)
        guard confirmations >= 0 else { throw GatewayError(.invalidConfiguration, "chain.confirmations must not be negative") }
        chain.confirmations = UInt64(confirmations)
        chain.requestTimeout = .milliseconds(try s.int("chain.timeout_ms", default: 10_000))
        outbox.maximumEntries = try s.int("outbox.max_entries", default: outbox.maximumEntries)
        outbox.maximumAnchors = try s.int("outbox.max_anchors", default: outbox.maximumAnchors)
        outbox.interval = .milliseconds(try s.int("outbox.interval_ms", default: 250))
        outbox.replaceAfter = .seconds(try s.int("outbox.replace_after_seconds", default: 30))
        outbox.stallBound = .seconds(try s.int("outbox.stall_seconds", default: 300))
        outbox.logDenialsOnChain = try s.bool("outbox.log_denials_on_chain", default: true)
        guard (1...500).contains(outbox.maximumEntries), (1...100).contains(outbox.maximumAnchors) else {
            throw GatewayError(.invalidConfiguration, "outbox.max_entries must be 1...500 and outbox.max_anchors 1...100")
        }
        custodianKeyFile = try s.require("custodian.key_file")
        masterKeyFile = try s.require("keys.master_file")
        previousMasterKeyFiles = s.list("keys.previous_master_files")
        retiredAddressKeyFiles = s.list("keys.retired_address_key_files")
        storage.chunkSize = try s.int("storage.chunk_size", default: storage.chunkSize)
        storage.maximumRecordSize = Int64(try s.int("storage.max_record_bytes", default: Int(storage.maximumRecordSize)))
        guard storage.maximumRecordSize >= 0 else { throw GatewayError(.invalidConfiguration, "storage.max_record_bytes must not be negative") }

        guard (4096...(16 << 20)).contains(storage.chunkSize) else {
            throw GatewayError(.invalidConfiguration, "storage.chunk_size must be between 4 KiB and 16 MiB")
        }
        requestWindow = .seconds(try s.int("requests.window_seconds", default: 300))
        strict = try s.bool("access.strict", default: false)
        strictTimeout = .seconds(try s.int("access.strict_timeout_seconds", default: 60))
        auditors = try s.list("audit.auditors").map { text in
            do { return try Address(text) } catch {
                throw GatewayError(.invalidConfiguration, "audit.auditors: \(text) is not an address")
            }
        }
        let fromBlock = try s.int("audit.from_block", default: 0)
        guard fromBlock >= 0 else { throw GatewayError(.invalidConfiguration, "audit.from_block must not be negative") }
        auditFromBlock = UInt64(fromBlock)
        migrationsDirectory = s.string("migrations.directory") ?? migrationsDirectory
        logLevel = s.string("log.level") ?? logLevel
        let durations: [(String, Duration, Duration)] = [
            ("chain.poll_interval_ms", chain.pollInterval, .milliseconds(10)), ("chain.timeout_ms", chain.requestTimeout, .milliseconds(100)),
            ("chain.head_staleness_ms", chain.headStaleness ?? chain.pollInterval, chain.pollInterval),
            ("outbox.interval_ms", outbox.interval, .milliseconds(10)), ("outbox.replace_after_seconds", outbox.replaceAfter, .seconds(1)),
            ("outbox.stall_seconds", outbox.stallBound, .seconds(1)), ("requests.window_seconds", requestWindow, .seconds(1)),
            ("access.strict_timeout_seconds", strictTimeout, .seconds(1)),
        ]
        for (key, value, minimum) in durations where value < minimum {
            throw GatewayError(.invalidConfiguration, "\(key) must be at least \(minimum)")
        }
    }
}
