import BigInt
import Ethereum
import Foundation
import NIOSSL
import PostgresNIO

/// Everything a gateway needs to run, read from ``Settings``. Every key is listed in
/// `docs/configuration.md`.
public struct GatewayConfiguration: Sendable {
    public struct HTTP: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// A separate listener for `/metrics` and the detailed readiness answer, for the
        /// operators' network only. nil: both stay on the public listener.
        public var operationsHost = "127.0.0.1"
        public var operationsPort: Int?
        /// Requests per second each client address may make (0: no limit), and its burst.
        public var rateLimitPerSecond: Double = 100
        public var rateLimitBurst: Double = 200
    }

    public struct Postgres: Sendable {
        public var host = "127.0.0.1"
        public var port = 5432
        public var user = "mdrs"
        public var database = "mdrs"
        public var passwordFile: String?
        public var maximumConnections = 20
        /// TLS to PostgreSQL.
        public var tls = TLSMode.disable
        /// The CA certificate(s) that must have issued the server's certificate (`verify-full`).
        public var tlsCAFile: String?

        /// How the gateway secures its PostgreSQL connection (the names of libpq's `sslmode`).
        public enum TLSMode: String, Sendable, CaseIterable {
            /// Plain TCP: for PostgreSQL on loopback only.
            case disable
            /// TLS, but the server's certificate is not checked: protects against eavesdroppers,
            /// not against an active man in the middle.
            case require
            /// TLS, the certificate must chain to `postgres.tls_ca_file` and name the host.
            case verifyFull = "verify-full"
        }

        public init() {}

        /// Just the PostgreSQL settings (for `mdrs migrate` and `mdrs keys rotate`).
        public init(settings s: Settings) throws {
            host = s.string("postgres.host") ?? host
            port = try s.int("postgres.port", default: port)
            user = s.string("postgres.user") ?? user
            database = s.string("postgres.database") ?? database
            passwordFile = s.string("postgres.password_file")
            maximumConnections = try s.int("postgres.max_connections", default: maximumConnections)
            if let text = s.string("postgres.tls") {
                guard let mode = TLSMode(rawValue: text) else {
                    throw GatewayError(.invalidConfiguration, "postgres.tls must be disable, require or verify-full, got \(text)")
                }
                tls = mode
            }
            tlsCAFile = s.string("postgres.tls_ca_file")
            if tls == .verifyFull, tlsCAFile == nil {
                throw GatewayError(.invalidConfiguration, "postgres.tls = verify-full needs postgres.tls_ca_file")
            }
        }

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

    public struct Chain: Sendable {
        public var rpcURL = "http://127.0.0.1:8545"
        /// Further nodes (of other operators, ideally) on which grant and staff reads are
        /// repeated; any disagreement refuses the request (`chain.rpc_urls` after the first).
        public var witnessURLs: [String] = []
        /// How many blocks a witness may be ahead of the node (see `ChainState`).
        public var witnessMaximumLag: UInt64 = 3
        /// A file holding a bearer token sent to every node (`Authorization: Bearer …`).
        public var bearerTokenFile: String?
        /// How old the head block's timestamp may be before the node counts as not following
        /// the chain (fail closed). nil: not checked.
        public var maximumHeadAge: Duration? = .seconds(60)
        /// The contract's deployment block: where event scans (staff directory, audit) start.
        public var fromBlock: UInt64 = 0
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
        /// The highest fee per gas (gas price or max fee, in wei) a log transaction may offer,
        /// also when it is replaced. nil: no cap.
        public var maximumFeePerGas: BigUInt? = BigUInt(1_000) * BigUInt(1_000_000_000)
    }

    /// The browser portal the gateway serves at `/`.
    public struct Portal: Sendable {
        public var enabled = true
        /// Serve the portal's files from this directory instead of the ones built in.
        public var directory: String?
        /// A JSON-RPC URL that people's wallets can reach, offered to a wallet that does not
        /// know the chain yet (`wallet_addEthereumChain`); nil: the person adds it by hand.
        public var walletRPCURL: String?
        public var chainName = "MDRS consortium"
    }

    public var http = HTTP()
    public var portal = Portal()
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
    /// A signed URL (a fetch's fields in the query string) is accepted this long around its
    /// time, at most `requestWindow`: it is a link, and links end up in histories and logs.
    public var signedURLWindow: Duration = .seconds(60)
    /// Refusals logged (as rows, and on-chain if eligible) per signer per minute; more are
    /// only counted.
    public var loggedRefusalsPerMinute = 30
    /// On-chain denials of other hospitals' staff, per such hospital per minute; more stay local.
    public var foreignDenialsPerMinute = 60
    /// Rows of stale and replayed requests are deleted after this long; nil: kept.
    public var localRetention: Duration? = .seconds(90 * 86_400)
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
        "http.host", "http.port", "http.ops_host", "http.ops_port", "http.rate_limit_per_second", "http.rate_limit_burst",
        "postgres.host", "postgres.port", "postgres.user", "postgres.database", "postgres.password_file",
        "postgres.max_connections", "postgres.tls", "postgres.tls_ca_file",
        "chain.rpc_url", "chain.rpc_urls", "chain.witness_max_lag_blocks", "chain.rpc_bearer_token_file", "chain.max_head_age_seconds", "chain.from_block", "chain.chain_id", "chain.contract", "chain.poll_interval_ms", "chain.head_staleness_ms", "chain.confirmations",
        "chain.timeout_ms",
        "outbox.max_entries", "outbox.max_anchors", "outbox.interval_ms", "outbox.replace_after_seconds",
        "outbox.stall_seconds", "outbox.log_denials_on_chain", "outbox.max_fee_per_gas",
        "custodian.key_file", "keys.master_file", "keys.previous_master_files", "keys.retired_address_key_files",
        "storage.chunk_size", "storage.max_record_bytes",
        "requests.window_seconds", "requests.signed_url_window_seconds", "access.logged_refusals_per_minute", "access.foreign_denials_per_minute", "access.local_retention_days", "access.strict", "access.strict_timeout_seconds", "audit.auditors", "audit.from_block",
        "migrations.directory", "log.level",
        "portal.enabled", "portal.directory", "portal.wallet_rpc_url", "portal.chain_name",
    ]

    /// Reads and validates the settings.
    public init(settings s: Settings) throws {
        http.host = s.string("http.host") ?? http.host
        http.port = try s.int("http.port", default: http.port)
        http.operationsHost = s.string("http.ops_host") ?? http.operationsHost
        if s.string("http.ops_port") != nil { http.operationsPort = try s.int("http.ops_port", default: 0) }
        http.rateLimitPerSecond = Double(try s.int("http.rate_limit_per_second", default: Int(http.rateLimitPerSecond)))
        http.rateLimitBurst = Double(try s.int("http.rate_limit_burst", default: Int(http.rateLimitBurst)))
        guard http.rateLimitPerSecond >= 0, http.rateLimitBurst >= 1 else {
            throw GatewayError(.invalidConfiguration, "http.rate_limit_per_second must not be negative and http.rate_limit_burst must be at least 1")
        }
        postgres = try Postgres(settings: s)
        let urls = s.list("chain.rpc_urls")
        if !urls.isEmpty {
            guard s.string("chain.rpc_url") == nil else {
                throw GatewayError(.invalidConfiguration, "set chain.rpc_url or chain.rpc_urls, not both")
            }
            chain.rpcURL = urls[0]
            chain.witnessURLs = Array(urls.dropFirst())
            guard Set(urls).count == urls.count else {
                throw GatewayError(.invalidConfiguration, "chain.rpc_urls names a node twice: a node cannot witness itself")
            }
        } else {
            chain.rpcURL = s.string("chain.rpc_url") ?? chain.rpcURL
        }
        let lag = try s.int("chain.witness_max_lag_blocks", default: 3)
        guard lag >= 0 else { throw GatewayError(.invalidConfiguration, "chain.witness_max_lag_blocks must not be negative") }
        chain.witnessMaximumLag = UInt64(lag)
        chain.bearerTokenFile = s.string("chain.rpc_bearer_token_file")
        if chain.bearerTokenFile != nil, let url = URL(string: chain.rpcURL), url.scheme?.lowercased() != "https",
            !["127.0.0.1", "localhost", "::1", "[::1]"].contains(url.host?.lowercased() ?? "")
        {
            throw GatewayError(
                .invalidConfiguration,
                "chain.rpc_bearer_token_file would send the token in clear to \(url.host ?? chain.rpcURL): use an https URL (or a node on loopback)")
        }
        let headAge = try s.int("chain.max_head_age_seconds", default: 60)
        guard headAge >= 0 else { throw GatewayError(.invalidConfiguration, "chain.max_head_age_seconds must not be negative") }
        chain.maximumHeadAge = headAge == 0 ? nil : .seconds(headAge)
        let fromBlock = try s.int("chain.from_block", default: 0)
        guard fromBlock >= 0 else { throw GatewayError(.invalidConfiguration, "chain.from_block must not be negative") }
        chain.fromBlock = UInt64(fromBlock)
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
        if let text = s.string("outbox.max_fee_per_gas") {
            guard let fee = BigUInt(text, radix: 10) else {
                throw GatewayError(.invalidConfiguration, "outbox.max_fee_per_gas must be a whole number of wei, got \(text)")
            }
            outbox.maximumFeePerGas = fee == 0 ? nil : fee
        }
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
        signedURLWindow = .seconds(try s.int("requests.signed_url_window_seconds", default: 60))
        loggedRefusalsPerMinute = try s.int("access.logged_refusals_per_minute", default: loggedRefusalsPerMinute)
        guard loggedRefusalsPerMinute >= 1 else {
            throw GatewayError(.invalidConfiguration, "access.logged_refusals_per_minute must be at least 1")
        }
        foreignDenialsPerMinute = try s.int("access.foreign_denials_per_minute", default: foreignDenialsPerMinute)
        guard foreignDenialsPerMinute >= 1 else {
            throw GatewayError(.invalidConfiguration, "access.foreign_denials_per_minute must be at least 1")
        }
        let retentionDays = try s.int("access.local_retention_days", default: 90)
        guard retentionDays >= 0 else { throw GatewayError(.invalidConfiguration, "access.local_retention_days must not be negative") }
        localRetention = retentionDays == 0 ? nil : .seconds(retentionDays * 86_400)
        strict = try s.bool("access.strict", default: false)
        strictTimeout = .seconds(try s.int("access.strict_timeout_seconds", default: 60))
        auditors = try s.list("audit.auditors").map { text in
            do { return try Address(text) } catch {
                throw GatewayError(.invalidConfiguration, "audit.auditors: \(text) is not an address")
            }
        }
        let auditFrom = try s.int("audit.from_block", default: Int(chain.fromBlock))
        guard auditFrom >= 0 else { throw GatewayError(.invalidConfiguration, "audit.from_block must not be negative") }
        auditFromBlock = UInt64(auditFrom)
        migrationsDirectory = s.string("migrations.directory") ?? migrationsDirectory
        portal.enabled = try s.bool("portal.enabled", default: true)
        portal.directory = s.string("portal.directory")
        portal.walletRPCURL = s.string("portal.wallet_rpc_url")
        portal.chainName = s.string("portal.chain_name") ?? portal.chainName
        logLevel = s.string("log.level") ?? logLevel
        let durations: [(String, Duration, Duration)] = [
            ("chain.poll_interval_ms", chain.pollInterval, .milliseconds(10)), ("chain.timeout_ms", chain.requestTimeout, .milliseconds(100)),
            ("chain.head_staleness_ms", chain.headStaleness ?? chain.pollInterval, chain.pollInterval),
            ("outbox.interval_ms", outbox.interval, .milliseconds(10)), ("outbox.replace_after_seconds", outbox.replaceAfter, .seconds(1)),
            ("outbox.stall_seconds", outbox.stallBound, .seconds(1)), ("requests.window_seconds", requestWindow, .seconds(1)),
            ("requests.signed_url_window_seconds", signedURLWindow, .seconds(1)),
            ("access.strict_timeout_seconds", strictTimeout, .seconds(1)),
        ]
        for (key, value, minimum) in durations where value < minimum {
            throw GatewayError(.invalidConfiguration, "\(key) must be at least \(minimum)")
        }
    }
}
