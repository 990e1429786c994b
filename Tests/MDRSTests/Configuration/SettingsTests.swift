import Foundation
import MDRSCore
import Testing

@Suite("Settings")
struct SettingsTests {
    @Test("defaults < file < environment < flags; unknown keys are errors")
    func precedence() throws {
        let file = NSTemporaryDirectory() + "mdrs-settings-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try #"{"chain": {"rpc_url": "http://file", "poll_interval_ms": 700}, "http": {"port": 9000}, "audit": {"auditors": ["0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"]}}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let settings = try Settings.load(
            file: file, environment: ["MDRS_CHAIN_RPC_URL": "http://env", "MDRS_HTTP_PORT": "9001", "UNRELATED": "x"],
            overrides: ["http.port=9002"], known: GatewayConfiguration.keys)
        #expect(settings.string("chain.rpc_url") == "http://env")
        #expect(settings.string("http.port") == "9002")
        #expect(settings.string("chain.poll_interval_ms") == "700")
        #expect(settings.list("audit.auditors").count == 1)
        #expect(throws: GatewayError.self) {
            try Settings.load(file: nil, environment: [:], overrides: ["chain.rpcurl=x"], known: GatewayConfiguration.keys)
        }
        try #"{"chain": {"typo": 1}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: GatewayError.self) {
            try Settings.load(file: file, environment: [:], overrides: [], known: GatewayConfiguration.keys)
        }
        #expect(Settings.environmentName("chain.rpc_url") == "MDRS_CHAIN_RPC_URL")
    }

    @Test("a configuration without its required settings says which")
    func required() throws {
        let error = #expect(throws: GatewayError.self) { try GatewayConfiguration(settings: Settings()) }
        #expect(error?.message.contains("chain.chain_id") == true)
    }

    @Test("one chain node needs an explicit acceptance; plain http to a node off loopback needs one too")
    func chainNodeRules() throws {
        func configuration(_ pairs: [String: String]) throws -> GatewayConfiguration {
            var settings = Settings()
            settings.set("chain.chain_id", "1337")
            settings.set("chain.contract", "0x5FbDB2315678afecb367f032d93F642f64180aa3")
            settings.set("custodian.key_file", "/nonexistent")
            settings.set("keys.master_file", "/nonexistent")
            for (key, value) in pairs { settings.set(key, value) }
            return try GatewayConfiguration(settings: settings)
        }
        let alone = #expect(throws: GatewayError.self) { try configuration(["chain.rpc_url": "https://node.example:8545"]) }
        #expect(alone?.message.contains("chain.accept_single_node") == true)
        #expect(throws: Never.self) { try configuration(["chain.rpc_url": "https://node.example:8545", "chain.accept_single_node": "true"]) }
        #expect(throws: Never.self) { try configuration(["chain.rpc_urls": "https://a.example:8545,https://b.example:8545"]) }
        let plain = #expect(throws: GatewayError.self) {
            try configuration(["chain.rpc_urls": "http://127.0.0.1:8545,http://witness.example:8545"])
        }
        #expect(plain?.message.contains("plain http") == true)
        #expect(throws: Never.self) {
            try configuration(["chain.rpc_urls": "http://127.0.0.1:8545,http://witness.example:8545", "chain.allow_plain_http": "true"])
        }
        #expect(try configuration(["chain.accept_single_node": "true"]).chain.maximumClockSkew == .seconds(5))
        #expect(try configuration(["chain.accept_single_node": "true", "chain.max_clock_skew_seconds": "0"]).chain.maximumClockSkew == nil)
    }
}
