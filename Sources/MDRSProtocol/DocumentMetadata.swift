import Foundation

/// What a record is, as people read it: a title, a document type, the date of service, its
/// author and its file name. It is PHI: the gateway keeps it sealed under the record's own data
/// key (never in clear, never on-chain), shows it to the patient, to staff holding a valid grant
/// and to the custodian's records clerks, and erases it with the record.
///
/// A store sends it as the `MDRS-Document` header: the base64url (no padding) of its JSON text,
/// which is also what the `StoreRequest`'s `document` field signs, verbatim.
public struct DocumentMetadata: Codable, Sendable, Equatable {
    public var title: String
    /// The LOINC document code (FHIR `DocumentReference.type`).
    public var type: DocumentType
    /// The date of service, `YYYY-MM-DD`.
    public var serviceDate: String?
    /// Who wrote it, as people name them ("Dr. Ana Silva").
    public var author: String?
    /// The name the download is saved under.
    public var fileName: String?

    public init(title: String, type: DocumentType, serviceDate: String? = nil, author: String? = nil, fileName: String? = nil) {
        self.title = title
        self.type = type
        self.serviceDate = serviceDate
        self.author = author
        self.fileName = fileName
    }

    /// The header's largest size: the JSON of the longest fields, with room.
    public static let maximumHeaderLength = 2048

    /// The JSON text a client signs and sends (keys sorted, so one metadata has one text).
    public var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings and an enum only: encoding cannot fail.
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The `MDRS-Document` header for ``jsonText``.
    public var headerValue: String {
        Self.base64url(Array(jsonText.utf8))
    }

    /// The metadata a header carries, with the JSON text that was signed. Throws a sentence a
    /// client can act on for anything malformed, oversized or out of range.
    public static func parse(header: String) throws -> (metadata: DocumentMetadata, signedText: String) {
        guard header.utf8.count <= maximumHeaderLength else {
            throw DocumentMetadataError("the MDRS-Document header is longer than \(maximumHeaderLength) bytes")
        }
        guard let bytes = fromBase64url(header), let text = String(validating: bytes, as: UTF8.self) else {
            throw DocumentMetadataError("the MDRS-Document header is not base64url of UTF-8 text")
        }
        let metadata: DocumentMetadata
        do {
            metadata = try JSONDecoder().decode(DocumentMetadata.self, from: Data(bytes))
        } catch {
            throw DocumentMetadataError(
                "the MDRS-Document header is not a document: a JSON object with title, type (one of \(DocumentType.allCases.map(\.rawValue).joined(separator: ", "))), and optionally serviceDate (YYYY-MM-DD), author, fileName")
        }
        try metadata.validate()
        return (metadata, text)
    }

    /// Checks every field's length and form.
    public func validate() throws {
        func check(_ value: String?, _ name: String, _ limit: Int) throws {
            guard let value else { return }
            guard (1...limit).contains(value.count), value.trimmingCharacters(in: .whitespacesAndNewlines) == value,
                !value.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) })
            else {
                throw DocumentMetadataError("the document's \(name) must be 1 to \(limit) characters, without control characters or surrounding spaces")
            }
        }
        try check(title, "title", 200)
        try check(author, "author", 200)
        try check(fileName, "fileName", 255)
        if let fileName, fileName.contains("/") || fileName.contains("\\") || fileName == "." || fileName == ".." {
            throw DocumentMetadataError("the document's fileName is a name, not a path")
        }
        if let serviceDate, Self.day(serviceDate) == nil {
            throw DocumentMetadataError("the document's serviceDate must be a date, YYYY-MM-DD")
        }
    }

    /// `text` as a calendar day (UTC), if it is one.
    static func day(_ text: String) -> Date? {
        guard text.utf8.count == 10 else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        guard let date = formatter.date(from: text), formatter.string(from: date) == text else { return nil }
        return date
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func fromBase64url(_ text: String) -> [UInt8]? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }
}

/// A malformed `MDRS-Document`: the message says what to change.
public struct DocumentMetadataError: Error, Sendable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
