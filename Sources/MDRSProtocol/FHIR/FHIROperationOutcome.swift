/// A FHIR R4 `OperationOutcome`: how the FHIR routes answer a refusal. The gateway's own error
/// code is the issue's `details` coding (system `urn:mdrs:error`), the same code a `/v1` route
/// puts in `{"error": {"code"}}`.
public struct FHIROperationOutcome: Codable, Sendable, Equatable {
    public struct Issue: Codable, Sendable, Equatable {
        /// fatal, error, warning or information.
        public var severity: String
        /// From FHIR's IssueType value set (`invalid`, `forbidden`, `login`, `transient`, ...).
        public var code: String
        public var details: FHIRCodeableConcept?
        public var diagnostics: String?

        public init(severity: String, code: String, details: FHIRCodeableConcept?, diagnostics: String? = nil) {
            self.severity = severity
            self.code = code
            self.details = details
            self.diagnostics = diagnostics
        }
    }

    public var resourceType = "OperationOutcome"
    public var issue: [Issue]

    public init(issue: [Issue]) {
        self.issue = issue
    }

    /// The system of the gateway's error codes in `details`.
    public static let errorSystem = "urn:mdrs:error"

    /// The outcome of one refusal: `apiCode` (the gateway's error code, e.g. `not_auditor`) and
    /// its message.
    public init(apiCode: String, issueType: String, message: String) {
        self.init(issue: [Issue(
            severity: "error", code: issueType,
            details: FHIRCodeableConcept(coding: [FHIRCoding(system: Self.errorSystem, code: apiCode)], text: message))])
    }
}
