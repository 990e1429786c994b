import ArgumentParser
import AsyncHTTPClient
import EthereumCore
import Foundation
import MDRSChain
import MDRSClient
import MDRSCore
import MDRSProtocol

/// `mdrs history`: a patient reads who accessed their records at this hospital, when, why and
/// with what outcome (an auditor may name any patient).
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Patient: who accessed my records, at every hospital (or one), when, why, and what each gateway decided.")

    enum Format: String, ExpressibleByArgument { case table, json }

    @OptionGroup var chain: ChainOptions
    @OptionGroup var key: KeyOption
    @Option(help: "One gateway's base URL (default: every hospital's, as they published them on-chain).") var gateway: String?
    @Option(help: "Another patient's address (auditors only).") var patient: String?
    @Option(help: "table or json.") var format: Format = .table

    func run() async throws {
        let key = try key.load()
        let patient = try patient.map { try address($0, "--patient") }
        // One hospital's part, or each hospital's, read from its own gateway.
        let sources = try await hospitalGateways(chain, gateway: gateway)
        var rows = [(hospital: String, access: PatientHistory.Access)]()
        // Records by title: the patient reads what each of their records is from its hospital.
        var titles = [String: String]()
        for source in sources {
            do {
                let client = try await GatewayClient(baseURL: source.url, key: key, httpClient: HTTPClient.shared)
                if format == .json {
                    print(String(decoding: try await client.history(of: patient).body, as: UTF8.self))
                    continue
                }
                rows += try await client.fullHistory(of: patient).map { (source.name, $0) }
                if patient == nil || patient == key.address {
                    for summary in try await client.documents().documents { titles[summary.recordId] = summary.displayTitle }
                }
            } catch {
                let who = source.name.isEmpty ? source.url : "\(source.name) at \(source.url)"
                FileHandle.standardError.write(Data("cannot read the history kept by \(who): \(error)\n".utf8))
            }
        }
        guard format == .table else { return }
        rows.sort { $0.access.accessedAt < $1.access.accessedAt }
        // People by name: each hospital's directory, checked against the hash it put on-chain.
        let people = try await chain.withClient { client, _ in
            let reader = StaffDirectoryReader(contract: try chain.contract(client), httpClient: HTTPClient.shared)
            var people = [String: String]()
            for staff in Swift.Set(rows.map(\.access.staff)) {
                if let address = try? Address(staff) { people[staff] = await reader.person(address).display }
            }
            return people
        }
        print("TIME (UTC)           OUTCOME               PURPOSE                   WHO                                                                    KEPT BY                  DOCUMENT")
        let formatter = ISO8601DateFormatter()
        for (keptBy, access) in rows {
            let time = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(access.accessedAt)))
            let outcome = access.emergency != nil ? "EMERGENCY (no grant)" : access.reason ?? (access.outcome == 1 ? "served" : "refused(\(access.outcome))")
            let purpose = access.purposeText ?? String(access.purpose)
            let who = people[access.staff] ?? access.staff
            print(
                "\(time.padding(toLength: 20, withPad: " ", startingAt: 0)) \(outcome.padding(toLength: 21, withPad: " ", startingAt: 0)) \(purpose.padding(toLength: 25, withPad: " ", startingAt: 0)) \(who.prefix(80).padding(toLength: 70, withPad: " ", startingAt: 0)) \(keptBy.prefix(24).padding(toLength: 24, withPad: " ", startingAt: 0)) \(titles[access.recordId] ?? String(access.recordId.prefix(10)) + "…")"
            )
        }
        print("\(rows.count) entries for \((patient ?? key.address).checksummed)")
        // Break-glass apart, loud: who, when, why, and what they wrote.
        let emergencies = rows.filter { $0.access.emergency != nil }
        if !emergencies.isEmpty {
            print("")
            print("!! \(emergencies.count) record\(emergencies.count == 1 ? " was" : "s were") opened WITHOUT your consent, in a declared emergency:")
            for (keptBy, access) in emergencies {
                guard let emergency = access.emergency else { continue }
                let time = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(access.accessedAt)))
                print("!! \(time) by \(people[access.staff] ?? access.staff), at \(keptBy): \(titles[access.recordId] ?? access.recordId)")
                print("!!   reason: \(emergency.reasonText ?? "code \(emergency.reason)")")
                print("!!   justification: \(emergency.justification)")
                print("!!   emergency \(emergency.id) (mdrs emergency show \(emergency.id): its review)")
            }
        }
    }
}
