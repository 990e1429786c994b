import AsyncHTTPClient
import BigInt
import Crypto
import EthereumCore
import EthereumRPC
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MDRSChain
import MDRSClient
import MDRSCore
import MDRSProtocol
import MDRSServer
import NIOCore
import PostgresNIO
import Synchronization
import Testing

/// A consortium on a chain (the shared dev chain, or a private one), and a gateway for its
/// hospital on a fresh database: what every end-to-end test starts from.
struct Deployment: Sendable {
    let rpcURL: String
    let contract: MedicalAccessContract
    let chainId: BigUInt
    let admin: PrivateKey
    let hospital: PrivateKey
    let clerk: PrivateKey
    let doctor: PrivateKey
    let doctor2: PrivateKey
    let patient: PrivateKey
    let auditor: PrivateKey
    let directory: URL

    /// Deploys a contract on the chain at `rpcURL`, registers a hospital and its staff, and
    /// writes the key files a gateway configuration names. With `custodian` (a key in a token),
    /// that key is the hospital registered on-chain, and it registers the staff; `hospital` is
    /// then an unregistered key.
    static func make(rpcURL: String? = nil, custodian tokenCustodian: (any DigestSigner)? = nil) async throws -> Deployment {
        let url = try rpcURL ?? DevChain.rpcURL
        let client = EthereumClient(rpc: JSONRPCClient(configuration: .init(url: url, timeout: .seconds(60)), httpClient: HTTPClient.shared))
        func funded() async throws -> PrivateKey { try await DevChain.fundedKey(on: client) }
        let admin = try await funded(), hospital = try await funded(), clerk = try await funded()
        let doctor = try await funded(), doctor2 = try await funded(), patient = try await funded()
        let auditor = PrivateKey.random()
        let contract = try await DevChain.deploy(admin: admin, on: client)
        let deployment = Deployment(
            rpcURL: url, contract: contract, chainId: try await client.chainId(), admin: admin, hospital: hospital,
            clerk: clerk, doctor: doctor, doctor2: doctor2, patient: patient, auditor: auditor,
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("mdrs-e2e-\(UUID().uuidString)"))
        let custodian: any DigestSigner = tokenCustodian ?? hospital
        if tokenCustodian != nil { try await DevChain.fund(custodian.address, on: client) }
        try await deployment.send(admin, MedicalAccessContract.registerCustodian(custodian.address, name: "St. Elsewhere"))
        for staff in [clerk, doctor, doctor2] {
            try await deployment.send(custodian, MedicalAccessContract.registerStaff(staff.address))
        }
        try FileManager.default.createDirectory(at: deployment.directory, withIntermediateDirectories: true)
        try SecretFile.create(deployment.path("custodian.key"), contents: Array(hospital.secretHex.utf8))
        _ = try MasterKey.generate(writingTo: deployment.path("master.key"))
        return deployment
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @discardableResult
    func send(_ key: any DigestSigner, _ data: [UInt8]) async throws -> TransactionReceipt {
        try await DevChain.submitter(key, on: contract.client).submit(to: contract.address, data: data)
    }

    /// A grant by the patient to `staff`; returns the token.
    func grant(_ recordId: Bytes32, to staff: PrivateKey, expiresIn seconds: UInt64 = 3600) async throws -> Bytes32 {
        let now = try #require(try await contract.client.block(.latest)).timestamp
        let receipt = try await send(patient, MedicalAccessContract.grant(staff: staff.address, recordId: recordId, expiresAt: max(now, UInt64(Date().timeIntervalSince1970)) + seconds))
        return try #require(receipt.logs.compactMap(contract.decode).first { $0.name == "Granted" }?.token)
    }

    /// The gateway configuration for this deployment on `database`.
    func configuration(database: String, strict: Bool = false) throws -> GatewayConfiguration {
        var settings = Settings()
        settings.set("http.port", "0")
        settings.set("postgres.host", try TestEnvironment.require("MDRS_TEST_PG_HOST"))
        settings.set("postgres.port", try TestEnvironment.require("MDRS_TEST_PG_PORT"))
        settings.set("postgres.user", try TestEnvironment.require("MDRS_TEST_PG_USER"))
        settings.set("postgres.database", database)
        settings.set("postgres.max_connections", "10")
        settings.set("chain.rpc_url", rpcURL)
        // The dev chain, alone: the tests of witnesses set chain.rpc_urls themselves.
        settings.set("chain.accept_single_node", "true")
        // The dev chain mines a block per transaction, each dated a second after the last: under
        // the whole suite's load its head runs ahead of the clock. Tests of the skew set it.
        settings.set("chain.max_clock_skew_seconds", "0")
        settings.set("chain.chain_id", String(chainId))
        settings.set("chain.contract", contract.address.checksummed)
        settings.set("chain.poll_interval_ms", "100")
        settings.set("chain.timeout_ms", "10000")
        // The shared py-evm dev chain blocks for seconds while it executes a big batch of
        // another test; a production node answers a head poll in milliseconds.
        settings.set("chain.head_staleness_ms", "15000")
        settings.set("outbox.interval_ms", "50")
        settings.set("custodian.key_file", path("custodian.key"))
        settings.set("keys.master_file", path("master.key"))
        settings.set("audit.auditors", auditor.address.checksummed)
        settings.set("access.strict", String(strict))
        // Generous: the whole suite runs at once on two cores, and the writer must get a word in.
        settings.set("access.strict_timeout_seconds", "20")
        settings.set("migrations.directory", TestEnvironment.migrations.path)
        settings.set("log.level", "warning")
        return try GatewayConfiguration(settings: settings)
    }
}

/// A running gateway (live HTTP) with signing clients for each actor.
struct LiveGateway: Sendable {
    let deployment: Deployment
    let baseURL: String
    let client: any TestClientProtocol
    let database: String
    let postgres: PostgresClient

    func client(_ key: PrivateKey) async throws -> GatewayClient {
        try await GatewayClient(baseURL: baseURL, key: key, httpClient: HTTPClient.shared)
    }

    /// Runs `body` against a live gateway for a fresh deployment and database.
    static func run<T: Sendable>(
        deployment: Deployment? = nil, strict: Bool = false, clock: any WallClock = SystemClock(),
        adjust: @Sendable (inout GatewayConfiguration) -> Void = { _ in },
        prepare: @Sendable (PostgresClient) async throws -> Void = { _ in },
        waitUntilReady: Bool = true,
        _ body: @Sendable (LiveGateway) async throws -> T
    ) async throws -> T {
        let resolved: Deployment
        if let deployment { resolved = deployment } else { resolved = try await Deployment.make() }
        let deployment = resolved
        return try await TestEnvironment.withDatabase { postgres, database in
            var configuration = try deployment.configuration(database: database, strict: strict)
            adjust(&configuration)
            // What a process that died left in the (migrated) database.
            try await prepare(postgres)
            let app = try await buildApplication(configuration, logger: TestEnvironment.logger, clock: clock)
            return try await app.test(.live) { client in
                let port = try #require(client.port)
                let gateway = LiveGateway(
                    deployment: deployment, baseURL: "http://127.0.0.1:\(port)", client: client, database: database, postgres: postgres)
                if waitUntilReady { try await gateway.waitUntilReady() }
                return try await body(gateway)
            }
        }
    }

    func waitUntilReady() async throws {
        let last = Mutex("")
        do {
            // A bound for a hung start, not a timing: the whole suite on two cores is slow.
            try await eventually("the gateway becomes ready", timeout: .seconds(90)) {
                let answer = try await client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil)
                last.withLock { $0 = String(buffer: answer.body) }
                return answer.status == .ok
            }
        } catch {
            print("readiness, last answer: \(last.withLock { $0 })")
            throw error
        }
    }

    /// Stores `bytes` as the clerk and waits for the anchor to be confirmed.
    func store(_ bytes: [UInt8], contentType: String = "application/dicom") async throws -> StoreResponse {
        let stored = try await client(deployment.clerk).store(
            body: .bytes(ByteBuffer(bytes: bytes)), sha256: Bytes32.sha256(bytes), patient: deployment.patient.address,
            contentType: contentType)
        try await eventually("the anchor is confirmed") {
            let status = try await client.execute(uri: "/v1/records/\(stored.recordId)/anchor", method: .get, headers: [:], body: nil)
            return String(buffer: status.body).contains("\"confirmed\"")
        }
        return stored
    }

    /// The chain state of the access row for `requestId`.
    func accessRow(_ requestId: String) async throws -> (state: String, reason: String, outcome: Int16)? {
        let id = try Bytes32(requestId)
        let rows = try await postgres.query(
            "SELECT chain_state, reason, outcome FROM access_log WHERE request_id = \(ByteBuffer(bytes: id.bytes))",
            logger: TestEnvironment.logger)
        for try await row in rows.decode((String, String, Int16).self) { return row }
        return nil
    }

    /// The access time (Unix seconds) of every row, by request id.
    func accessRowsWithTimes() async throws -> [String: UInt64] {
        let rows = try await postgres.query("SELECT request_id, accessed_at FROM access_log", logger: TestEnvironment.logger)
        var result = [String: UInt64]()
        for try await (id, at) in rows.decode((ByteBuffer, Int64).self) { result[Hex.encode(Array(id.readableBytesView))] = UInt64(at) }
        return result
    }

    /// The rows of the access log, newest last.
    func accessRows() async throws -> [(requestId: Bytes32, reason: String, state: String)] {
        let rows = try await postgres.query(
            "SELECT request_id, reason, chain_state FROM access_log ORDER BY created_at", logger: TestEnvironment.logger)
        var result = [(Bytes32, String, String)]()
        for try await (id, reason, state) in rows.decode((ByteBuffer, String, String).self) {
            result.append((try Bytes32(bytes: Array(id.readableBytesView)), reason, state))
        }
        return result
    }
}

/// Waits until `condition` holds, polling; fails the test after `timeout`.
func eventually(
    _ what: String, timeout: Duration = .seconds(90), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
    throw CancellationError()
}

extension Bytes32 {
    /// SHA-256 of `bytes`.
    static func sha256(_ bytes: [UInt8]) -> Bytes32 {
        (try? Bytes32(bytes: Array(SHA256.hash(data: bytes)))) ?? .zero
    }
}

extension LiveGateway {
    /// The value of a Prometheus counter or gauge of this gateway (0 if it has no sample yet).
    /// `labels` must match exactly the sample's label text, e.g. `method="getGrant"`.
    func metric(_ name: String, _ labels: String? = nil, path: String = "/metrics", via base: String? = nil) async throws -> Double {
        let text: String
        if let base {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + path), timeout: .seconds(10))
            text = String(buffer: try await response.body.collect(upTo: 1 << 22))
        } else {
            text = String(buffer: try await client.execute(uri: path, method: .get, headers: [:], body: nil).body)
        }
        let prefix = labels.map { "\(name){\($0)} " } ?? "\(name) "
        return text.split(separator: "\n").compactMap { line -> Double? in
            line.hasPrefix(prefix) ? Double(line.dropFirst(prefix.count).split(separator: " ").first ?? "") : nil
        }.reduce(0, +)
    }

    /// How many rows a table holds.
    func count(_ table: String) async throws -> Int {
        let rows = try await postgres.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: TestEnvironment.logger)
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }

    /// A second hospital, registered by the consortium admin, with one doctor of its own.
    func secondHospital() async throws -> (hospital: PrivateKey, doctor: PrivateKey) {
        let hospital = try await DevChain.fundedKey(on: deployment.contract.client)
        let doctor = try await DevChain.fundedKey(on: deployment.contract.client)
        try await deployment.send(deployment.admin, MedicalAccessContract.registerCustodian(hospital.address, name: "County General"))
        try await deployment.send(hospital, MedicalAccessContract.registerStaff(doctor.address))
        return (hospital, doctor)
    }
}
