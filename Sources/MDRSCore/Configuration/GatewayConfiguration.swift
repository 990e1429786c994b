import BigInt
import EthereumCore
import Foundation

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
        /// The gateway's base URL as clients reach it (through the reverse proxy), e.g.
        /// `https://mdrs.st-elsewhere.example`. nil: clients reach it at `host:port`.
        public var publicURL: String?
        /// On SIGTERM, how long requests in flight (a download, an upload) may take to finish
        /// before the process stops anyway; readiness answers 503 meanwhile.
        public var drainTimeout: Duration = .seconds(30)

        /// Where the gateway is on the network, for the audit trail's server agent.
        public var networkAddress: String { publicURL ?? "\(host):\(port)" }
    }

    /// How records are stored (see `RecordStore`).
    public struct Storage: Sendable {
        /// Plaintext bytes per chunk.
        public var chunkSize: Int
        /// Uploads larger than this are refused while they stream.
        public var maximumRecordSize: Int64

        public init(chunkSize: Int = 1 << 20, maximumRecordSize: Int64 = 8 << 30) {
            self.chunkSize = chunkSize
            self.maximumRecordSize = maximumRecordSize
        }
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
        /// How far the head block's timestamp may be ahead of the gateway's clock; a head dated
        /// further in the future is refused (a node faking fresh timestamps for a frozen head).
        /// nil: not checked (a dev chain that mines a block per transaction, each dated a second
        /// after the last, runs ahead of the clock under load).
        public var maximumClockSkew: Duration? = .seconds(5)
        /// Without witness nodes, the operator must accept, explicitly, that one node decides
        /// alone: a node that lies can keep a revoked grant alive until an audit finds it.
        public var acceptSingleNode = false
        /// Plain `http` to a node that is not on loopback is refused unless this is set.
        public var allowPlainHTTP = false

        /// The revocation bound: how long after a revocation's block a release may still
        /// rightly happen (one poll interval and the staleness bound, plus the clock skew the
        /// head's timestamp may have). The audit check flags releases later than that.
        public var revocationTolerance: Duration {
            pollInterval + (headStaleness ?? max(pollInterval * 4, .seconds(2))) + (maximumClockSkew ?? .zero)
        }
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
    /// The gateway's signing key: a file, or a `pkcs11:` URI. Its address is the custodian's
    /// on-chain identity.
    public var custodianKeyFile = ""
    /// The master key: a file, or a `pkcs11:` URI.
    public var masterKeyFile = ""
    /// The PKCS#11 module and PIN for keys given as `pkcs11:` URIs; nil: keys are files.
    public var pkcs11: KeyLoader.PKCS11Settings?
    public var previousMasterKeyFiles: [String] = []
    /// Address keys of retired master keys (`mdrs keys export-address-key`).
    public var retiredAddressKeyFiles: [String] = []
    public var storage = Storage()
    /// Requests must be signed within this many seconds of the gateway's clock.
    public var requestWindow: Duration = .seconds(300)
    /// A signed URL (a fetch's fields in the query string) is accepted this long around its
    /// time, at most `requestWindow`: it is a link, and links end up in histories and logs.
    public var signedURLWindow: Duration = .seconds(60)
    /// Refusals logged (as rows, and on-chain if eligible) per signer per minute; more are
    /// only counted.
    public var loggedRefusalsPerMinute = 30
    /// At most this many concurrent releases share one statement and one commit (1: each its own).
    public var groupCommitRows = 256
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
    /// How often the audit index reads new blocks (an audit request also catches it up first).
    public var auditIndexInterval: Duration = .seconds(2)
    /// How long an emergency (break-glass) may wait for an auditor's review before readiness
    /// and the metrics call it overdue.
    public var emergencyReviewWithin: Duration = .seconds(72 * 3600)
    /// Where the SQL migrations are read from; nil: the ones bundled with the binary.
    public var migrationsDirectory: String?
    public var logLevel = "info"

    public init() {}

    /// The settings keys this configuration reads.
    public static let keys: Set<String> = [
        "http.host", "http.port", "http.ops_host", "http.ops_port", "http.rate_limit_per_second", "http.rate_limit_burst",
        "http.drain_timeout_seconds",
        "postgres.host", "postgres.port", "postgres.user", "postgres.database", "postgres.password_file",
        "postgres.max_connections", "postgres.tls", "postgres.tls_ca_file",
        "chain.rpc_url", "chain.rpc_urls", "chain.witness_max_lag_blocks", "chain.rpc_bearer_token_file", "chain.max_head_age_seconds", "chain.max_clock_skew_seconds", "chain.accept_single_node", "chain.allow_plain_http", "chain.from_block", "chain.chain_id", "chain.contract", "chain.poll_interval_ms", "chain.head_staleness_ms", "chain.confirmations",
        "chain.timeout_ms",
        "outbox.max_entries", "outbox.max_anchors", "outbox.interval_ms", "outbox.replace_after_seconds",
        "outbox.stall_seconds", "outbox.log_denials_on_chain", "outbox.max_fee_per_gas",
        "custodian.key_file", "keys.master_file", "keys.previous_master_files", "keys.retired_address_key_files",
        "pkcs11.module", "pkcs11.pin_file",
        "storage.chunk_size", "storage.max_record_bytes",
        "requests.window_seconds", "requests.signed_url_window_seconds", "access.logged_refusals_per_minute", "access.foreign_denials_per_minute", "access.local_retention_days", "access.strict", "access.strict_timeout_seconds", "access.group_commit_rows", "audit.auditors", "audit.from_block", "audit.index_interval_ms",
        "emergency.review_within_hours",
        "migrations.directory", "log.level",
        "portal.enabled", "portal.directory", "portal.wallet_rpc_url", "portal.chain_name",
    ]
}
