/// What `GET /v1/audit/accesses` answers: one page of the access log, in time order.
public struct AuditReport: Codable, Sendable {
    public let custodian: String
    public let entries: [AuditEntry]
    /// Pass as `after` for the next page; nil (absent) on the last page.
    public let next: String?
    /// The last block the gateway's index has read: entries logged later show as local only.
    public let indexedThroughBlock: Int64

    public init(custodian: String, entries: [AuditEntry], next: String?, indexedThroughBlock: Int64) {
        self.custodian = custodian
        self.entries = entries
        self.next = next
        self.indexedThroughBlock = indexedThroughBlock
    }
}
