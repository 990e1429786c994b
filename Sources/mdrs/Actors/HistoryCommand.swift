import ArgumentParser
import AsyncHTTPClient
import EthereumCore
import Foundation
import MDRSClient
import MDRSProtocol

/// `mdrs history`: a patient reads who accessed their records at this hospital, when, why and
/// with what outcome (an auditor may name any patient).
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Patient: who accessed my records here, when, why, and what the gateway decided.")

    enum Format: String, ExpressibleByArgument { case table, json }

    @OptionGroup var key: KeyOption
    @Option(help: "The gateway's base URL.") var gateway = "http://127.0.0.1:8080"
    @Option(help: "Another patient's address (auditors only).") var patient: String?
    @Option(help: "table or json.") var format: Format = .table

    func run() async throws {
        let client = try await GatewayClient(baseURL: gateway, key: try key.load(), httpClient: HTTPClient.shared)
        let patient = try patient.map { try address($0, "--patient") }
        if format == .json {
            print(String(decoding: try await client.history(of: patient).body, as: UTF8.self))
            return
        }
        let accesses = try await client.fullHistory(of: patient)
        print("TIME (UTC)           OUTCOME               PURPOSE                   STAFF        HOSPITAL     RECORD")
        let formatter = ISO8601DateFormatter()
        for access in accesses {
            let time = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(access.accessedAt)))
            let outcome = access.reason ?? (access.outcome == 1 ? "served" : "refused(\(access.outcome))")
            let purpose = access.purposeText ?? String(access.purpose)
            let hospital = access.hospital.map { "\($0.prefix(10))…" } ?? "(none now)"
            print(
                "\(time.padding(toLength: 20, withPad: " ", startingAt: 0)) \(outcome.padding(toLength: 21, withPad: " ", startingAt: 0)) \(purpose.padding(toLength: 25, withPad: " ", startingAt: 0)) \(access.staff.prefix(10))…  \(hospital.padding(toLength: 12, withPad: " ", startingAt: 0)) \(access.recordId.prefix(10))…"
            )
        }
        print("\(accesses.count) entries for \((patient ?? client.key.address).checksummed)")
    }
}
