import ArgumentParser
import AsyncHTTPClient
import EthereumCore
import Foundation
import MDRSChain
import MDRSClient
import MDRSCore
import MDRSProtocol

/// `mdrs documents`: what records are. A patient lists their records at every hospital by
/// title, type and date; a grantee (or the patient) reads what one record is.
struct DocumentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "documents",
        abstract: "Patient: my records at every hospital, by title, type and date. Staff: what a granted record is (--token).",
        discussion: """
            Without --token, lists the signer's records (or --patient's, for a records clerk) at every hospital of the \
            consortium, each read from the gateway its hospital published on-chain (or from --gateway only). With --token, \
            shows the record that grant is for, read from its hospital's gateway.
            """)

    enum Format: String, ExpressibleByArgument { case table, json, fhir }

    @OptionGroup var chain: ChainOptions
    @OptionGroup var key: KeyOption
    @Option(help: "One gateway's base URL (default: every hospital's, as published on-chain).") var gateway: String?
    @Option(help: "Another patient's address (records clerks of that hospital only).") var patient: String?
    @Option(help: "A grant token: show the record it is for.") var token: String?
    @Option(help: "table, json, or fhir (DocumentReference).") var format: Format = .table

    func run() async throws {
        let key = try key.load()
        if let token {
            let token = try bytes32(token, "--token")
            try await chain.withClient { ethereum, httpClient in
                let (client, anchor) = try await staffFetch(chain, ethereum, httpClient, key: key, gateway: gateway, token: token)
                let hospital = try await ConsortiumDirectory(contract: try chain.contract(ethereum)).hospital(anchor.custodian).name
                switch format {
                case .fhir: print(String(decoding: try await client.fhirDocumentReference(recordId: anchor.recordId, token: token), as: UTF8.self))
                case .json: print(try Self.json(try await client.document(recordId: anchor.recordId, token: token)))
                case .table: Self.printTable([(hospital, try await client.document(recordId: anchor.recordId, token: token))])
                }
            }
            return
        }
        let patient = try patient.map { try address($0, "--patient") }
        var rows = [(hospital: String, summary: DocumentSummary)]()
        for source in try await hospitalGateways(chain, gateway: gateway) {
            do {
                let client = try await GatewayClient(baseURL: source.url, key: key, httpClient: HTTPClient.shared)
                switch format {
                case .fhir: print(String(decoding: try await client.fhirDocumentReferences(of: patient), as: UTF8.self))
                case .json: print(try Self.json(try await client.documents(of: patient)))
                case .table: rows += try await client.documents(of: patient).documents.map { (source.name, $0) }
                }
            } catch {
                let who = source.name.isEmpty ? source.url : "\(source.name) at \(source.url)"
                FileHandle.standardError.write(Data("cannot read the records held by \(who): \(error)\n".utf8))
            }
        }
        guard format == .table else { return }
        Self.printTable(rows)
        print("\(rows.count) records of \((patient ?? key.address).checksummed)")
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func printTable(_ rows: [(hospital: String, summary: DocumentSummary)]) {
        print("SERVICE DATE  TYPE                        TITLE                                     HELD BY                  SIZE        RECORD")
        for (hospital, summary) in rows.sorted(by: { ($0.summary.document?.serviceDate ?? "") > ($1.summary.document?.serviceDate ?? "") }) {
            let date = summary.document?.serviceDate ?? "-"
            let type = summary.typeDisplay ?? summary.contentType
            func cell(_ text: String, _ width: Int) -> String { String(text.prefix(width)).padding(toLength: width, withPad: " ", startingAt: 0) }
            print("\(cell(date, 13)) \(cell(type, 27)) \(cell(summary.displayTitle, 41)) \(cell(hospital.isEmpty ? summary.custodian : hospital, 24)) \(cell("\(summary.size) B", 11)) \(summary.recordId)")
        }
    }
}

/// The gateways to read a patient's part from: `gateway` alone, or every active hospital's, as
/// published on-chain (a hospital without a usable URL is named on stderr and skipped).
func hospitalGateways(_ chain: ChainOptions, gateway: String?) async throws -> [(name: String, url: String)] {
    if let gateway { return [("", gateway)] }
    return try await chain.withClient { client, _ in
        var sources = [(name: String, url: String)]()
        for hospital in try await ConsortiumDirectory(contract: try chain.contract(client)).hospitals() where hospital.active {
            let name = hospital.name.isEmpty ? hospital.custodian.checksummed : hospital.name
            do {
                sources.append((name, try GatewayURL.checked(hospital.gateway, hospital: name)))
            } catch let error as GatewayError {
                FileHandle.standardError.write(Data("\(error.message): its part is not shown\n".utf8))
            }
        }
        return sources
    }
}
