/// What `GET /v1/records/{id}/anchor` answers.
public struct AnchorStatus: Codable, Sendable {
    public let recordId: String
    /// `pending`, `submitted`, `confirmed` or `rejected`.
    public let status: LogState
    public let transactionHash: String?
    public let blockNumber: Int64?
    public let error: String?

    public init(recordId: String, status: LogState, transactionHash: String?, blockNumber: Int64?, error: String?) {
        self.recordId = recordId
        self.status = status
        self.transactionHash = transactionHash
        self.blockNumber = blockNumber
        self.error = error
    }
}
