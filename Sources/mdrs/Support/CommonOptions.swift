import ArgumentParser
import AsyncHTTPClient
import BigInt
import EthereumCore
import EthereumRPC
import Foundation
import Logging
import MDRSChain
import MDRSCore
import PostgresNIO

/// `--config` and `--set`, read into ``Settings`` the documented way (file, environment, flags).
struct SettingsOptions: ParsableArguments {
    @Option(name: .long, help: "A JSON configuration file (see docs/configuration.md).")
    var config: String?

    @Option(name: .customLong("set"), help: "Override one setting: --set chain.rpc_url=http://... (repeatable).")
    var overrides: [String] = []

    func settings() throws -> Settings {
        try Settings.load(
            file: config, environment: ProcessInfo.processInfo.environment, overrides: overrides,
            known: GatewayConfiguration.keys)
    }
}

/// Where the chain is: flags, else the same `MDRS_CHAIN_*` variables the gateway reads.
struct ChainOptions: ParsableArguments {
    @Option(name: .long, help: "JSON-RPC URL of a chain node (or MDRS_CHAIN_RPC_URL).")
    var rpcURL: String?

    @Option(name: .long, help: "The MedicalAccess contract address (or MDRS_CHAIN_CONTRACT).")
    var contract: String?

    @Option(name: .long, help: "The expected chain id; signing for another chain is refused (or MDRS_CHAIN_CHAIN_ID).")
    var chainId: String?

    var resolvedRPCURL: String {
        rpcURL ?? ProcessInfo.processInfo.environment["MDRS_CHAIN_RPC_URL"] ?? "http://127.0.0.1:8545"
    }

    func resolvedContract() throws -> Address {
        guard let text = contract ?? ProcessInfo.processInfo.environment["MDRS_CHAIN_CONTRACT"] else {
            throw ValidationError("--contract (or MDRS_CHAIN_CONTRACT) is required")
        }
        do { return try Address(text) } catch { throw ValidationError("--contract is not an address: \(text)") }
    }

    func expectedChainId() throws -> BigUInt? {
        guard let text = chainId ?? ProcessInfo.processInfo.environment["MDRS_CHAIN_CHAIN_ID"] else { return nil }
        guard let value = BigUInt(text, radix: 10) else { throw ValidationError("--chain-id must be a decimal number") }
        return value
    }

    /// Runs `body` with a client of the node (on the process-wide shared HTTP client, which
    /// needs no shutdown in a one-shot command).
    func withClient<T>(_ body: (EthereumClient, HTTPClient) async throws -> T) async throws -> T {
        let httpClient = HTTPClient.shared
        let client = EthereumClient(rpc: JSONRPCClient(configuration: .init(url: resolvedRPCURL), httpClient: httpClient))
        return try await body(client, httpClient)
    }

    /// A submitter for `key` that has checked the node's chain id.
    func submitter(_ client: EthereumClient, key: any DigestSigner) async throws -> TransactionSubmitter {
        try await TransactionSubmitter(client: client, key: key, expectedChainId: try expectedChainId())
    }

    func contract(_ client: EthereumClient) throws -> MedicalAccessContract {
        MedicalAccessContract(address: try resolvedContract(), client: client)
    }
}

/// `--key FILE|URI`: the acting account's private key.
struct KeyOption: ParsableArguments {
    @Option(name: .long, help: "The acting account's key: a private key file (64 hex digits), or a pkcs11: URI.")
    var key: String

    @OptionGroup var pkcs11: PKCS11Options

    /// Loads the key, refusing a file others can read (as the gateway does with its own).
    func load() throws -> any DigestSigner { try pkcs11.loader().signingKey(key) }
}

/// Where keys given as `pkcs11:` URIs are found: the module, and the PIN's file. The PIN itself
/// is never an option (a command line is visible to every user of the machine).
struct PKCS11Options: ParsableArguments {
    @Option(name: .customLong("pkcs11-module"), help: "The PKCS#11 module's library (or MDRS_PKCS11_MODULE).")
    var module: String?

    @Option(
        name: .customLong("pkcs11-pin-file"),
        help: "An owner-only file holding the token's user PIN (or MDRS_PKCS11_PIN_FILE; else MDRS_PKCS11_PIN).")
    var pinFile: String?

    func loader() -> KeyLoader {
        let environment = ProcessInfo.processInfo.environment.filter { !$0.value.isEmpty }
        let module = module ?? environment["MDRS_PKCS11_MODULE"]
        return KeyLoader(pkcs11: module.map {
            KeyLoader.PKCS11Settings(modulePath: $0, pinFile: pinFile ?? environment["MDRS_PKCS11_PIN_FILE"])
        })
    }
}

extension Settings {
    /// The key loader the configuration describes (`pkcs11.module`, `pkcs11.pin_file`).
    var keyLoader: KeyLoader { KeyLoader(pkcs11: KeyLoader.PKCS11Settings(settings: self)) }
}

/// Runs `body` with a running PostgreSQL client for the configured database.
func withPostgres<T: Sendable>(_ settings: Settings, _ body: @Sendable (PostgresClient, Logger) async throws -> T) async throws -> T {
    let logger = Logger(label: "mdrs")
    let postgres = try GatewayConfiguration.Postgres(settings: settings)
    // One connection first: the pool would retry a refused or untrusted server for ever.
    try await postgres.checkReachable()
    let client = PostgresClient(configuration: try postgres.clientConfiguration(), backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await body(client, logger)
    }
}

/// Parses `0x`-hex bytes32 arguments.
func bytes32(_ text: String, _ name: String) throws -> Bytes32 {
    do { return try Bytes32(text) } catch { throw ValidationError("\(name) must be 32 bytes of 0x-hex") }
}

func address(_ text: String, _ name: String) throws -> Address {
    do { return try Address(text) } catch { throw ValidationError("\(name) is not an address: \(text)") }
}

/// Reads a JSON configuration or environment for the migrations directory.
func migrationsDirectory(_ settings: Settings) -> URL? {
    settings.string("migrations.directory").map { URL(fileURLWithPath: $0) }
}
