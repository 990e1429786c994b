import ArgumentParser
import AsyncHTTPClient
import EthereumCore
import Foundation
import MDRSClient
import MDRSProtocol

/// `mdrs put`: a hospital system stores a record at its gateway.
struct PutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put", abstract: "Store a record at the gateway (signed by a registered staff key of that hospital).")

    @Argument(help: "The file to store.") var file: String
    @Option(help: "The gateway's base URL.") var gateway = "http://127.0.0.1:8080"
    @OptionGroup var key: KeyOption
    @Option(help: "The patient's address.") var patient: String
    @Option(help: "The record's media type.") var contentType = "application/octet-stream"
    @Option(help: "What the record is, as people read it (e.g. \"Discharge summary after cardiac surgery\").") var title: String?
    @Option(help: ArgumentHelp("The document type: a LOINC document code or one of \(DocumentType.allCases.map(\.slug).joined(separator: ", ")).", valueName: "type"))
    var type: String?
    @Option(help: "The date of service, YYYY-MM-DD.") var serviceDate: String?
    @Option(help: "Who wrote it, as people name them.") var author: String?
    @Option(help: "The name the download is saved under (default: the file's own name).") var fileName: String?
    @Flag(help: "Print the answer as JSON.") var json = false

    /// What the record is (sealed by the gateway under the record's key): a title and a type,
    /// or nothing at all.
    func document() throws -> DocumentMetadata? {
        guard title != nil || type != nil || serviceDate != nil || author != nil || fileName != nil else { return nil }
        guard let title, let type else { throw ValidationError("a record's document needs both --title and --type") }
        guard let documentType = DocumentType(slugOrCode: type) else {
            throw ValidationError("unknown --type \(type); use one of \(DocumentType.allCases.map(\.slug).joined(separator: ", ")) or its LOINC code")
        }
        let document = DocumentMetadata(
            title: title, type: documentType, serviceDate: serviceDate, author: author,
            fileName: fileName ?? URL(fileURLWithPath: file).lastPathComponent)
        do { try document.validate() } catch let error as DocumentMetadataError { throw ValidationError(error.message) }
        return document
    }

    func run() async throws {
        let key = try key.load()
        let patient = try address(patient, "--patient")
        let document = try document()
        let httpClient = HTTPClient.shared
        let client = try await GatewayClient(baseURL: gateway, key: key, httpClient: httpClient)
        let progress = TerminalProgress("stored")
        let stored = try await client.store(file: file, patient: patient, contentType: contentType, document: document, progress: progress.report)
        progress.finish()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(stored), as: UTF8.self))
        } else {
            if let document = stored.document {
                print("document          \(document.title) (\(document.type.display)\(document.serviceDate.map { ", \($0)" } ?? ""))")
            }
            print("record            \(stored.recordId)\nencrypted address \(stored.encryptedAddress)\nsha256            \(stored.sha256)\nsize              \(stored.size) bytes\nanchor            \(stored.anchor)")
        }
    }
}
