import BigInt
import EthereumCore
import Foundation

extension GatewayConfiguration {
    /// Reads and validates the settings.
    public init(settings s: Settings) throws {
        http.host = s.string("http.host") ?? http.host
        http.port = try s.int("http.port", default: http.port)
        http.publicURL = s.string("http.public_url")
        http.operationsHost = s.string("http.ops_host") ?? http.operationsHost
        if s.string("http.ops_port") != nil { http.operationsPort = try s.int("http.ops_port", default: 0) }
        http.rateLimitPerSecond = Double(try s.int("http.rate_limit_per_second", default: Int(http.rateLimitPerSecond)))
        http.rateLimitBurst = Double(try s.int("http.rate_limit_burst", default: Int(http.rateLimitBurst)))
        let drain = try s.int("http.drain_timeout_seconds", default: 30)
        guard (0...3600).contains(drain) else {
            throw GatewayError(.invalidConfiguration, "http.drain_timeout_seconds must be from 0 to 3600")
        }
        http.drainTimeout = .seconds(drain)
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
        let skew = try s.int("chain.max_clock_skew_seconds", default: 5)
        guard skew >= 0 else { throw GatewayError(.invalidConfiguration, "chain.max_clock_skew_seconds must not be negative") }
        chain.maximumClockSkew = skew == 0 ? nil : .seconds(skew)
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
        chain.allowPlainHTTP = try s.bool("chain.allow_plain_http", default: false)
        for url in [chain.rpcURL] + chain.witnessURLs {
            guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme) else {
                throw GatewayError(.invalidConfiguration, "chain node URL \(url) is not an http(s) URL")
            }
            let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(parsed.host?.lowercased() ?? "")
            if scheme == "http", !loopback, !chain.allowPlainHTTP {
                throw GatewayError(
                    .invalidConfiguration,
                    "chain node \(parsed.host ?? url) is reached over plain http: anyone on the path can answer for it; use https, or set chain.allow_plain_http = true on a network you trust")
            }
        }
        chain.acceptSingleNode = try s.bool("chain.accept_single_node", default: false)
        if chain.witnessURLs.isEmpty, !chain.acceptSingleNode {
            throw GatewayError(
                .invalidConfiguration,
                "one chain node decides alone: a node that lies can keep a revoked grant alive; name a witness node of another operator in chain.rpc_urls, or set chain.accept_single_node = true to accept the risk (docs/decisions.md §7)")
        }
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
        pkcs11 = KeyLoader.PKCS11Settings(settings: s)
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
        groupCommitRows = try s.int("access.group_commit_rows", default: groupCommitRows)
        guard (1...4096).contains(groupCommitRows) else {
            throw GatewayError(.invalidConfiguration, "access.group_commit_rows must be between 1 and 4096")
        }
        auditors = try s.list("audit.auditors").map { text in
            do { return try Address(text) } catch {
                throw GatewayError(.invalidConfiguration, "audit.auditors: \(text) is not an address")
            }
        }
        let auditFrom = try s.int("audit.from_block", default: Int(chain.fromBlock))
        guard auditFrom >= 0 else { throw GatewayError(.invalidConfiguration, "audit.from_block must not be negative") }
        auditFromBlock = UInt64(auditFrom)
        let indexInterval = try s.int("audit.index_interval_ms", default: 2000)
        guard indexInterval > 0 else { throw GatewayError(.invalidConfiguration, "audit.index_interval_ms must be positive") }
        auditIndexInterval = .milliseconds(indexInterval)
        let reviewHours = try s.int("emergency.review_within_hours", default: 72)
        guard reviewHours > 0 else { throw GatewayError(.invalidConfiguration, "emergency.review_within_hours must be positive") }
        emergencyReviewWithin = .seconds(reviewHours * 3600)
        migrationsDirectory = s.string("migrations.directory")
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
