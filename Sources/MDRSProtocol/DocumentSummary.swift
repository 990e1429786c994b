/// A record held here, as its readers see it (`GET /v1/records/{recordId}/document`, and each
/// entry of `GET /v1/patients/{patient}/documents`): what it is, and the facts of its content.
public struct DocumentSummary: Codable, Sendable, Equatable {
    public let recordId: String
    /// Checksummed address of the patient.
    public let patient: String
    /// Checksummed address of the custodian that holds it (this gateway's).
    public let custodian: String
    /// What it is; absent for a record stored without document metadata.
    public let document: DocumentMetadata?
    /// LOINC's name of `document.type`, for a reader who does not know the code.
    public let typeDisplay: String?
    public let contentType: String
    public let size: Int64
    /// SHA-256 of the content: the fingerprint anchored on-chain.
    public let sha256: String
    /// When the custodian stored it, Unix seconds.
    public let storedAt: UInt64

    public init(
        recordId: String, patient: String, custodian: String, document: DocumentMetadata?, contentType: String, size: Int64, sha256: String,
        storedAt: UInt64
    ) {
        self.recordId = recordId
        self.patient = patient
        self.custodian = custodian
        self.document = document
        self.typeDisplay = document?.type.display
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
        self.storedAt = storedAt
    }

    /// How a person names it: its title, else its kind and size.
    public var displayTitle: String {
        document?.title ?? "untitled record (\(contentType), \(size) bytes)"
    }
}

/// `GET /v1/patients/{patient}/documents`: a patient's records held by this custodian, newest
/// first.
public struct PatientDocuments: Codable, Sendable, Equatable {
    public let patient: String
    public let custodian: String
    public let documents: [DocumentSummary]

    public init(patient: String, custodian: String, documents: [DocumentSummary]) {
        self.patient = patient
        self.custodian = custodian
        self.documents = documents
    }
}
