/// What `POST /v1/records` answers.
public struct StoreResponse: Codable, Sendable {
    public let recordId: String
    /// The opaque address staff present to fetch the record (also anchored on-chain).
    public let encryptedAddress: String
    public let sha256: String
    public let size: Int64
    public let contentType: String
    public let patient: String
    /// `pending` until the anchor transaction is confirmed (see `GET /v1/records/{id}/anchor`).
    public let anchor: LogState
    /// What the record is, as stored (absent if the store sent no `MDRS-Document`).
    public let document: DocumentMetadata?

    public init(
        recordId: String, encryptedAddress: String, sha256: String, size: Int64, contentType: String, patient: String, anchor: LogState,
        document: DocumentMetadata? = nil
    ) {
        self.document = document
        self.recordId = recordId
        self.encryptedAddress = encryptedAddress
        self.sha256 = sha256
        self.size = size
        self.contentType = contentType
        self.patient = patient
        self.anchor = anchor
    }
}
