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
}
