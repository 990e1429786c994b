import ArgumentParser
import AsyncHTTPClient
import EthereumCore
import Foundation
import MDRSClient

/// `mdrs put`: a hospital system stores a record at its gateway.
struct PutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put", abstract: "Store a record at the gateway (signed by a registered staff key of that hospital).")

    @Argument(help: "The file to store.") var file: String
    @Option(help: "The gateway's base URL.") var gateway = "http://127.0.0.1:8080"
    @OptionGroup var key: KeyOption
    @Option(help: "The patient's address.") var patient: String
    @Option(help: "The record's media type.") var contentType = "application/octet-stream"
    @Flag(help: "Print the answer as JSON.") var json = false

    func run() async throws {
        let key = try key.load()
        let patient = try address(patient, "--patient")
        let httpClient = HTTPClient.shared
        let client = try await GatewayClient(baseURL: gateway, key: key, httpClient: httpClient)
        let progress = TerminalProgress("stored")
        let stored = try await client.store(file: file, patient: patient, contentType: contentType, progress: progress.report)
        progress.finish()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(stored), as: UTF8.self))
        } else {
            print("record            \(stored.recordId)\nencrypted address \(stored.encryptedAddress)\nsha256            \(stored.sha256)\nsize              \(stored.size) bytes\nanchor            \(stored.anchor)")
        }
    }
}
