/// What `GET /v1/audit/accesses` answers.
public struct AuditReport: Codable, Sendable {
    public let custodian: String
    public let entries: [AuditEntry]

    public init(custodian: String, entries: [AuditEntry]) {
        self.custodian = custodian
        self.entries = entries
    }
}
