import AsyncHTTPClient
import BigInt
import Ethereum
import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle

/// Builds the gateway: its PostgreSQL client, chain view, outbox writer and janitor as services
/// of one service group, and the HTTP routes. `mdrs serve` runs what this returns; so do the
/// tests.
public func buildApplication(_ configuration: GatewayConfiguration, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    let logger: Logger = {
        var logger = logger ?? Logger(label: "mdrs")
        if logger.logLevel == .info, let level = Logger.Level(rawValue: configuration.logLevel) { logger.logLevel = level }
        return logger
    }()

    let signingKey: PrivateKey
    do {
        signingKey = try PrivateKey(hex: try SecretFile.readText(configuration.custodianKeyFile))
    } catch let error as GatewayError {
        throw error
    } catch {
        throw GatewayError(.invalidConfiguration, "custodian.key_file \(configuration.custodianKeyFile) holds no valid key")
    }
    let keyring = MasterKeyring(
        current: try MasterKey(contentsOfFile: configuration.masterKeyFile),
        previous: try configuration.previousMasterKeyFiles.map(MasterKey.init(contentsOfFile:)),
        addressKeys: try configuration.retiredAddressKeyFiles.map(AddressKey.init(contentsOfFile:)))

    let postgres = PostgresClient(configuration: try configuration.postgres.clientConfiguration(), backgroundLogger: logger)

    let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(5))))
    let ethereum = EthereumClient(rpc: JSONRPCClient(
        configuration: .init(url: configuration.chain.rpcURL, timeout: .milliseconds(Int64(configuration.chain.requestTimeout.seconds * 1000))),
        httpClient: httpClient, logger: logger))
    let contract = MedicalAccessContract(address: configuration.chain.contract, client: ethereum)
    let metrics = GatewayMetrics()
    let chain = ChainState(
        contract: contract, pollInterval: configuration.chain.pollInterval, stalenessBound: configuration.chain.headStaleness,
        expectedChainId: configuration.chain.chainId,
        metrics: metrics, logger: logger)
    let store = RecordStore(client: postgres, keyring: keyring, configuration: configuration.storage, logger: logger)
    let outboxStore = OutboxStore(client: postgres, logger: logger)
    let outboxStatus = OutboxStatus()
    let nonces = NonceStore(client: postgres, logger: logger)
    let writer = OutboxWriter(
        store: outboxStore, client: ethereum, contract: contract, key: signingKey, chainId: configuration.chain.chainId,
        configuration: .init(
            maximumEntries: configuration.outbox.maximumEntries, maximumAnchors: configuration.outbox.maximumAnchors,
            interval: configuration.outbox.interval, replaceAfter: configuration.outbox.replaceAfter,
            confirmations: configuration.chain.confirmations),
        status: outboxStatus, metrics: metrics, logger: logger)
    let gateway = Gateway(
        configuration: configuration, custodian: signingKey.address, chainId: configuration.chain.chainId, store: store,
        sealer: AddressSealer(keyring: keyring, custodian: signingKey.address), chain: chain, outbox: outboxStore,
        outboxStatus: outboxStatus, nonces: nonces, metrics: metrics, logger: logger)

    let router = Router()
    router.middlewares.add(LogRequestsMiddleware(.debug))
    GatewayController(gateway: gateway, operations: OperationsController(gateway: gateway, postgres: postgres))
        .addRoutes(to: router)

    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.http.host, port: configuration.http.port), serverName: "mdrs"),
        services: [
            postgres, HTTPClientService(client: httpClient), chain, writer,
            Janitor(store: store, nonces: nonces, interval: .seconds(60), abandonAfter: .seconds(600), logger: logger),
        ],
        logger: logger)
    let migrations = URL(fileURLWithPath: configuration.migrationsDirectory)
    app.beforeServerStarts {
        try await Migrator(client: postgres, directory: migrations, logger: logger).verifyCurrent()
        logger.info("gateway ready to start", metadata: ["custodian": "\(signingKey.address)", "contract": "\(configuration.chain.contract)"])
    }
    return app
}
