import AsyncHTTPClient
import BigInt
import EthereumCore
import EthereumRPC
import Foundation
import Hummingbird
import Logging
import MDRSChain
import MDRSCore
import MDRSIndexer
import MDRSOutbox
import MDRSPostgres
import MDRSProtocol
import NIOCore
import PKCS11
import PostgresNIO
import ServiceLifecycle

/// Builds the gateway: its PostgreSQL client, chain view, outbox writer and janitor as services
/// of one service group, and the HTTP routes. `mdrs serve` runs what this returns; so do the
/// tests. With `drain`, every request is counted in it, and readiness is false once it drains:
/// run it after the application in one `ServiceGroup` (``runGateway(_:drain:logger:)``).
public func buildApplication(
    _ configuration: GatewayConfiguration, logger: Logger? = nil, clock: any WallClock = SystemClock(), drain: RequestDrain? = nil
) async throws -> some ApplicationProtocol {
    let logger: Logger = {
        var logger = logger ?? Logger(label: "mdrs")
        if logger.logLevel == .info, let level = Logger.Level(rawValue: configuration.logLevel) { logger.logLevel = level }
        return logger
    }()

    let keys = KeyLoader(pkcs11: configuration.pkcs11)
    let signingKey = try keys.signingKey(configuration.custodianKeyFile)
    let keyring = MasterKeyring(
        current: try keys.masterKey(configuration.masterKeyFile),
        previous: try configuration.previousMasterKeyFiles.map(keys.masterKey),
        addressKeys: try configuration.retiredAddressKeyFiles.map(AddressKey.init(contentsOfFile:)))
    // The tokens readiness asks after: the key store must answer for the gateway to be ready.
    var keyTokens: [PKCS11Token] = []
    for token in [(signingKey as? PKCS11SigningKey)?.token] + ([keyring.current] + keyring.previous).map(\.token) {
        if let token, !keyTokens.contains(where: { $0 === token }) { keyTokens.append(token) }
    }

    let postgres = PostgresClient(configuration: try configuration.postgres.clientConfiguration(), backgroundLogger: logger)
    let databaseHealth = DatabaseHealth()
    let database = PostgresDatabase(postgres, health: databaseHealth)
    let probeConnection = try configuration.postgres.connectionConfiguration()

    // Everything that can fail comes before the HTTP client, which must be shut down once made.
    let rpcHeaders: [(name: String, value: String)] = try configuration.chain.bearerTokenFile.map { file in
        [(name: "Authorization", value: "Bearer \(try SecretFile.readText(file))")]
    } ?? []
    let portal: PortalAssets? = try configuration.portal.enabled
        ? configuration.portal.directory.map { try PortalAssets(directory: URL(fileURLWithPath: $0)) } ?? PortalAssets.bundled()
        : nil
    let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(5))))
    // The bearer token is the hospital's credential for its own node: witnesses, run by others,
    // never see it.
    let metrics = GatewayMetrics()
    func node(_ url: String, headers: [(name: String, value: String)] = []) -> MedicalAccessContract {
        let client = EthereumClient(rpc: JSONRPCClient(
            configuration: .init(
                url: url, timeout: .milliseconds(Int64(configuration.chain.requestTimeout.seconds * 1000)), headers: headers,
                onRequest: { metrics.rpcRequest($0) }),
            httpClient: httpClient, logger: logger))
        return MedicalAccessContract(address: configuration.chain.contract, client: client)
    }
    let contract = node(configuration.chain.rpcURL, headers: rpcHeaders)
    let probe = DatabaseProbe(configuration: probeConnection, health: databaseHealth, metrics: metrics, logger: logger)
    let chain = ChainState(
        contract: contract, witnesses: configuration.chain.witnessURLs.map { node($0) },
        configuration: .init(
            expectedChainId: configuration.chain.chainId, pollInterval: configuration.chain.pollInterval,
            stalenessBound: configuration.chain.headStaleness, maximumHeadAge: configuration.chain.maximumHeadAge,
            fromBlock: configuration.chain.fromBlock, witnessMaximumLag: configuration.chain.witnessMaximumLag,
            maximumClockSkew: configuration.chain.maximumClockSkew),
        metrics: metrics, clock: clock, logger: logger)
    let store = RecordStore(client: database, keyring: keyring, configuration: configuration.storage, logger: logger)
    let outboxStore = OutboxStore(client: database, clock: clock, logger: logger)
    let outboxStatus = OutboxStatus(clock: clock)
    let refusalBudget = RefusalBudget(
        perSignerPerMinute: configuration.loggedRefusalsPerMinute,
        foreignPerCustodianPerMinute: configuration.foreignDenialsPerMinute)
    let nonces = NonceStore(client: database, logger: logger)
    var writer = OutboxWriter(
        store: outboxStore, contract: contract, key: signingKey, chainId: configuration.chain.chainId,
        configuration: .init(
            maximumEntries: configuration.outbox.maximumEntries, maximumAnchors: configuration.outbox.maximumAnchors,
            interval: configuration.outbox.interval, replaceAfter: configuration.outbox.replaceAfter,
            confirmations: configuration.chain.confirmations, maximumFeePerGas: configuration.outbox.maximumFeePerGas),
        status: outboxStatus, metrics: metrics, logger: logger)
    writer.witnesses = chain.witnesses
    writer.noteSent = { [chain] hash in chain.noteOwnTransaction(hash) }
    let custodian = signingKey.address
    let domain = SigningDomain(chainId: configuration.chain.chainId, contract: configuration.chain.contract, custodian: custodian)
    let authenticator = RequestAuthenticator(domain: domain, nonces: nonces, window: configuration.requestWindow, clock: clock)
    let gate = ReadinessGate(chain: chain, database: databaseHealth, custodian: custodian, outboxStatus: outboxStatus, stallBound: configuration.outbox.stallBound)
    let vault = RecordVault(store: store, sealer: AddressSealer(keyring: keyring, custodian: custodian), metrics: metrics, clock: clock)
    let policy = AccessPolicy(custodian: custodian)
    let groupCommit = AccessGroupCommit(store: outboxStore, maximumGroup: configuration.groupCommitRows, metrics: metrics, logger: logger)
    let journal = AccessJournal(
        outbox: outboxStore, groupCommit: groupCommit, outboxStatus: outboxStatus, refusalBudget: refusalBudget,
        configuration: .init(
            denialsOnChain: configuration.outbox.logDenialsOnChain, strict: configuration.strict, strictTimeout: configuration.strictTimeout),
        metrics: metrics)
    let operations = OperationsRoutes(
        operations: OperationsController(
            database: databaseHealth, chain: chain, outboxStatus: outboxStatus, stallBound: configuration.outbox.stallBound,
            emergencyReviewWithin: configuration.emergencyReviewWithin, logger: logger, drain: drain,
            tokens: keyTokens),
        metrics: metrics)
    let accessIndex = AccessIndexStore(
        client: database, contract: configuration.chain.contract, custodian: custodian, fromBlock: configuration.auditFromBlock, logger: logger)
    let localLog = AccessLogStore(client: database, custodian: custodian, logger: logger)
    let auditReader = AccessLogReader(chain: chain, custodian: custodian)
    let checker = AuditChecker(
        index: accessIndex, local: localLog, reader: auditReader, custodian: custodian,
        revocationTolerance: configuration.chain.revocationTolerance, overdueAfter: configuration.outbox.stallBound, clock: clock,
        metrics: metrics, logger: logger)
    var indexer = AccessIndexer(
        reader: auditReader, store: accessIndex, chain: chain,
        interval: configuration.auditIndexInterval,
        logger: logger)
    // The check also runs as the index reads new blocks: late releases and gaps alert by
    // themselves (log and mdrs_audit_findings).
    indexer.checker = checker
    let definitions = SignedRequest.typeDefinitions(chainId: domain.chainId, contract: domain.contract)
    let info = GatewayInfo(
        custodian: custodian.checksummed, chainId: String(domain.chainId), contract: domain.contract.checksummed, version: "1",
        typedData: .init(domain: definitions.domain, types: definitions.types), fromBlock: String(configuration.chain.fromBlock),
        wallet: configuration.portal.walletRPCURL.map { .init(rpcUrl: $0, chainName: configuration.portal.chainName) })

    // With an operations listener, the public one answers readiness as a bare yes or no and
    // has no metrics; the details are for the operators' network.
    let separateOperations = configuration.http.operationsPort != nil
    let consortium = ConsortiumDirectory(contract: contract, fromBlock: configuration.chain.fromBlock)
    let consortiumOrigins = ConsortiumOrigins(directory: consortium, logger: logger)
    let router = Router(context: GatewayRequestContext.self)
    if let drain { router.middlewares.add(DrainMiddleware(drain: drain)) }
    router.middlewares.add(ConsortiumCORSMiddleware(origins: consortiumOrigins))
    router.middlewares.add(ResponseHeadersMiddleware(served: Endpoint.allCases.filter { !(separateOperations && $0 == .metrics) }))
    if configuration.http.rateLimitPerSecond > 0 {
        router.middlewares.add(RateLimitMiddleware(
            limiter: RateLimiter(ratePerSecond: configuration.http.rateLimitPerSecond, burst: configuration.http.rateLimitBurst),
            metrics: metrics))
    }
    router.middlewares.add(RequestLogMiddleware())
    let staffDirectory = StaffDirectoryStore(client: database, logger: logger)
    GatewayController(
        info: info,
        directory: staffDirectory,
        fetch: FetchController(
            authenticator: authenticator, gate: gate, chain: chain, vault: vault, journal: journal, policy: policy,
            signedURLWindow: configuration.signedURLWindow),
        store: StoreController(authenticator: authenticator, gate: gate, chain: chain, vault: vault, outbox: outboxStore, policy: policy),
        documents: DocumentController(
            authenticator: authenticator, gate: gate, chain: chain, vault: vault, policy: policy,
            directory: staffDirectory,
            consortium: consortium),
        audit: AuditController(
            authenticator: authenticator, auditors: configuration.auditors, index: accessIndex, indexer: indexer, localLog: localLog,
            checker: checker, chain: chain,
            serverAddress: configuration.http.networkAddress, directory: staffDirectory,
            logger: logger, people: StaffDirectoryReader(contract: contract, httpClient: httpClient),
            emergencyStore: EmergencyStore(client: database, clock: clock, logger: logger)),
        operations: operations, metrics: metrics, publicListener: separateOperations
    ).addRoutes(to: router)
    if let portal { PortalController(assets: portal, consortium: consortiumOrigins).addRoutes(to: router) }

    var services: [any Service] = [
        postgres, probe, groupCommit, HTTPClientService(client: httpClient), chain, consortiumOrigins, writer, indexer,
        Janitor(
            store: store, nonces: nonces, outbox: outboxStore, refusals: refusalBudget, interval: .seconds(60), abandonAfter: .seconds(600),
            localRetention: configuration.localRetention, nonceSlack: configuration.requestWindow, logger: logger),
    ]
    if let port = configuration.http.operationsPort {
        let opsRouter = Router(context: GatewayRequestContext.self)
        opsRouter.middlewares.add(ResponseHeadersMiddleware(served: [.live, .ready, .metrics]))
        operations.addRoutes(to: opsRouter)
        services.append(Application(
            router: opsRouter,
            configuration: .init(address: .hostname(configuration.http.operationsHost, port: port), serverName: "mdrs-ops"),
            logger: logger))
    }

    var app = Application(
        router: router,
        server: .http1(additionalChannelHandlers: [FlushBeforeCloseHandler()]),
        configuration: .init(address: .hostname(configuration.http.host, port: configuration.http.port), serverName: "mdrs"),
        services: services,
        logger: logger)
    let migrations = configuration.migrationsDirectory.map { URL(fileURLWithPath: $0) }
    app.beforeServerStarts {
        try await Migrator(client: postgres, directory: migrations, logger: logger).verifyCurrent()
        // How far the on-chain log is behind, from the database, before the first request: a
        // restarted gateway must not serve while rows older than the stall bound wait.
        let backlog = try await outboxStore.backlog()
        outboxStatus.update(backlog)
        metrics.outbox(backlog, now: clock.now())
        if configuration.chain.witnessURLs.isEmpty {
            logger.warning(
                "one chain node decides alone (chain.accept_single_node): a node that lies can keep a revoked grant alive until the audit check finds the releases; add a witness node of another operator")
        }
        logger.info("gateway ready to start", metadata: ["custodian": "\(signingKey.address)", "contract": "\(configuration.chain.contract)"])
    }
    return app
}

/// Runs `app` until SIGTERM or SIGINT, then shuts down gracefully: first `drain` (readiness
/// false, the requests in flight finish), then the server and the other services.
public func runGateway(_ app: some ApplicationProtocol, drain: RequestDrain, logger: Logger) async throws {
    var configuration = ServiceGroupConfiguration(services: [app, drain], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    // The last resort: a service still not done this long after the drain is cancelled, so that
    // the process stops rather than hang (each service bounds its own shutdown well inside it).
    configuration.maximumGracefulShutdownDuration = drain.timeout + .seconds(30)
    let group = ServiceGroup(configuration: configuration)
    try await group.run()
}
