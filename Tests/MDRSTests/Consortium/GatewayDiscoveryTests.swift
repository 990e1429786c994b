import AsyncHTTPClient
import EthereumCore
import EthereumRPC
import Foundation
import MDRSChain
import MDRSCore
import MDRSProtocol
import NIOCore
import Testing

/// Hospitals find each other on-chain: a custodian publishes its gateway's URL, and a doctor's
/// client finds the gateway of the hospital that holds a record from the record's anchor.
@Suite("Gateway discovery")
struct GatewayDiscoveryTests {
    @Test("a gateway URL must be https, or http on loopback, without query or credentials")
    func urlRules() throws {
        #expect(try GatewayURL.checked("https://mdrs.st-elsewhere.example/", hospital: "St. Elsewhere") == "https://mdrs.st-elsewhere.example")
        #expect(try GatewayURL.checked("http://127.0.0.1:8080", hospital: "dev") == "http://127.0.0.1:8080")
        for bad in ["", "http://mdrs.example", "ftp://x.example", "https://x.example/?a=1", "https://u:p@x.example", "not a url"] {
            let error = #expect(throws: GatewayError.self, "\(bad)") { try GatewayURL.checked(bad, hospital: "County General") }
            #expect(error?.message.contains("County General") == true, "\(bad): the error names the hospital")
        }
        #expect(GatewayURL.origin("https://MDRS.example:443/base") == "https://mdrs.example")
        #expect(GatewayURL.origin("http://127.0.0.1:8080") == "http://127.0.0.1:8080")
    }

    @Test("a custodian publishes and changes its gateway URL on-chain, with an event; no one else can", .timeLimit(.minutes(6)))
    func publishAndChange() async throws {
        let d = try await Deployment.make()
        let directory = ConsortiumDirectory(contract: d.contract)
        let none = await #expect(throws: GatewayError.self) { try await directory.gateway(of: d.hospital.address) }
        #expect(none?.message.contains("St. Elsewhere") == true && none?.message.contains("no gateway URL") == true, "\(String(describing: none))")

        let first = try await d.send(d.hospital, MedicalAccessContract.setGateway("https://mdrs.st-elsewhere.example"))
        #expect(first.logs.compactMap(d.contract.event).contains(.custodianGatewayChanged(
            custodian: d.hospital.address, gateway: "https://mdrs.st-elsewhere.example")))
        #expect(try await directory.gateway(of: d.hospital.address).url == "https://mdrs.st-elsewhere.example")
        _ = try await d.send(d.hospital, MedicalAccessContract.setGateway("https://gateway.st-elsewhere.example"))
        #expect(try await d.contract.custodian(d.hospital.address).gateway == "https://gateway.st-elsewhere.example")
        #expect(try await directory.hospitals().first { $0.custodian == d.hospital.address }?.name == "St. Elsewhere")

        // Staff, patients and strangers cannot publish a hospital's gateway.
        for key in [d.doctor, d.patient, try await DevChain.fundedKey()] {
            await #expect(throws: (any Error).self) { try await d.send(key, MedicalAccessContract.setGateway("https://evil.example")) }
            await #expect(throws: (any Error).self) { try await d.send(key, MedicalAccessContract.setDirectory(Bytes32.random())) }
        }
        #expect(try await d.contract.custodian(d.hospital.address).gateway == "https://gateway.st-elsewhere.example")
    }

    @Test("mdrs fetch finds the record's gateway on-chain; without one, the error names the hospital", .timeLimit(.minutes(6)))
    func fetchWithoutGateway() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let bytes = Array("found without being told where".utf8)
            let stored = try await gateway.store(bytes, contentType: "text/plain")
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)
            let keyFile = d.path("doctor.key")
            try SecretFile.create(keyFile, contents: Array(d.doctor.secretHex.utf8))
            let out = d.path("fetched.txt")

            let unpublished = try await Self.mdrs(["fetch", "--key", keyFile, "--token", token.hex, "--out", out], deployment: d)
            #expect(unpublished.status != 0 && unpublished.output.contains("St. Elsewhere"), "\(unpublished.output)")

            _ = try await d.send(d.hospital, MedicalAccessContract.setGateway(gateway.baseURL))
            let found = try await Self.mdrs(["fetch", "--key", keyFile, "--token", token.hex, "--out", out], deployment: d)
            #expect(found.status == 0, "\(found.output)")
            #expect(FileManager.default.contents(atPath: out).map(Array.init) == bytes)
            // Not a terminal: no progress line.
            #expect(!found.output.contains("\r"), "\(found.output)")

            // On a terminal (script(1) gives it one): one updating line of bytes, rate and size.
            let command = ([TestEnvironment.repositoryRoot.appendingPathComponent(".build/debug/mdrs").path, "fetch", "--key", keyFile,
                "--token", token.hex, "--out", d.path("fetched-on-a-terminal.txt")]).map { "'\($0)'" }.joined(separator: " ")
            let onTerminal = try await Self.run(["/usr/bin/script", "-qefc", command, "/dev/null"], deployment: d)
            #expect(onTerminal.status == 0, "\(onTerminal.output)")
            #expect(onTerminal.output.contains("\rfetched") || onTerminal.output.contains("\u{1B}[Kfetched"), "\(onTerminal.output)")
            #expect(onTerminal.output.contains("/s"), "\(onTerminal.output)")
        }
    }

    /// Runs the `mdrs` binary with the deployment's chain in its environment.
    static func mdrs(_ arguments: [String], deployment d: Deployment) async throws -> (status: Int32, output: String) {
        try await run([TestEnvironment.repositoryRoot.appendingPathComponent(".build/debug/mdrs").path] + arguments, deployment: d)
    }

    /// Runs a program with the deployment's chain in its environment.
    static func run(_ arguments: [String], deployment d: Deployment) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MDRS_") }
        environment["MDRS_CHAIN_RPC_URL"] = d.rpcURL
        environment["MDRS_CHAIN_CONTRACT"] = d.contract.address.checksummed
        environment["MDRS_CHAIN_CHAIN_ID"] = String(d.chainId)
        process.environment = environment
        let log = d.path("mdrs-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { process.terminate() }
        return (process.terminationStatus, String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self))
    }
}
