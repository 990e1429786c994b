/// A record as FHIR R4 `DocumentReference`: what it is (type, title, date of service, author),
/// whose it is (the patient, by their chain account), who holds it (the custodian), and where
/// its content is (the attachment: the gateway's download route, which takes a signed fetch).
public struct FHIRDocumentReference: Codable, Sendable, Equatable {
    public struct Content: Codable, Sendable, Equatable {
        public var attachment: Attachment
    }

    public struct Attachment: Codable, Sendable, Equatable {
        public var contentType: String
        /// The download, relative to the gateway: `/v1/access/{encryptedAddress}` (a signed
        /// fetch, as every download is), absent when the reader has no address.
        public var url: String?
        public var size: Int?
        public var title: String?
        /// The date of service (FHIR `dateTime`, a day).
        public var creation: String?
    }

    public struct Context: Codable, Sendable, Equatable {
        public struct Period: Codable, Sendable, Equatable {
            public var start: String
            public var end: String
        }
        public var period: Period
    }

    public var resourceType = "DocumentReference"
    public var id: String
    public var identifier: [FHIRIdentifier]
    public var status: String
    public var type: FHIRCodeableConcept?
    public var subject: FHIRReference
    /// When the custodian stored it (FHIR `instant`).
    public var date: String
    public var author: [FHIRReference]?
    public var custodian: FHIRReference
    public var description: String?
    public var content: [Content]
    public var context: Context?

    /// The DocumentReference of `summary`. `chainId` names the identifier systems;
    /// `hospital` is the custodian's name as the chain has it; `encryptedAddress` makes the
    /// attachment's URL.
    public init(_ summary: DocumentSummary, chainId: String, hospital: String?, encryptedAddress: String?) {
        let document = summary.document
        self.id = String(summary.recordId.dropFirst(summary.recordId.hasPrefix("0x") ? 2 : 0))
        self.identifier = [
            .record(summary.recordId, chainId: chainId),
            FHIRIdentifier(system: "urn:ietf:rfc:3986", value: "urn:mdrs:sha256:\(summary.sha256.dropFirst(summary.sha256.hasPrefix("0x") ? 2 : 0))"),
        ]
        self.status = "current"
        self.type = document.map {
            FHIRCodeableConcept(coding: [FHIRCoding(system: "http://loinc.org", code: $0.type.rawValue, display: $0.type.display)], text: $0.type.display)
        }
        self.subject = FHIRReference(type: "Patient", identifier: .account(summary.patient, chainId: chainId))
        self.date = FHIRDateTime.instant(summary.storedAt)
        self.author = document?.author.map { [FHIRReference(identifier: nil, display: $0)] }
        self.custodian = FHIRReference(
            type: "Organization", identifier: .account(summary.custodian, chainId: chainId), display: hospital)
        self.description = document?.title
        self.content = [Content(attachment: Attachment(
            contentType: summary.contentType, url: encryptedAddress.map { "/v1/access/\($0)" },
            size: summary.size <= Int64(Int32.max) ? Int(summary.size) : nil,
            title: document?.fileName ?? document?.title, creation: document?.serviceDate))]
        self.context = document?.serviceDate.map { Context(period: .init(start: $0, end: $0)) }
    }
}
