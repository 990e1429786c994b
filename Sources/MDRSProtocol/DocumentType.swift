/// The kinds of document a record may be: a short list of LOINC document codes, as FHIR R4's
/// `DocumentReference.type` uses them (value set "FHIR Document Type Codes", system
/// `http://loinc.org`). Short on purpose: a list a clerk can choose from, that every hospital
/// of the consortium reads the same way.
public enum DocumentType: String, Codable, Sendable, CaseIterable {
    case dischargeSummary = "18842-5"
    case imagingStudy = "18748-4"
    case laboratoryReport = "11502-2"
    case progressNote = "11506-3"
    case historyAndPhysical = "34117-2"
    case consultNote = "11488-4"
    case referralNote = "57133-1"
    case procedureNote = "28570-0"
    case operativeNote = "11504-8"
    case patientSummary = "60591-5"
    case summaryOfEpisode = "34133-9"

    /// LOINC's display name.
    public var display: String {
        switch self {
        case .dischargeSummary: "Discharge summary"
        case .imagingStudy: "Diagnostic imaging study"
        case .laboratoryReport: "Laboratory report"
        case .progressNote: "Progress note"
        case .historyAndPhysical: "History and physical note"
        case .consultNote: "Consult note"
        case .referralNote: "Referral note"
        case .procedureNote: "Procedure note"
        case .operativeNote: "Surgical operation note"
        case .patientSummary: "Patient summary Document"
        case .summaryOfEpisode: "Summary of episode note"
        }
    }

    /// A short name for the command line (`--type discharge-summary`).
    public var slug: String {
        switch self {
        case .dischargeSummary: "discharge-summary"
        case .imagingStudy: "imaging-study"
        case .laboratoryReport: "lab-report"
        case .progressNote: "progress-note"
        case .historyAndPhysical: "history-and-physical"
        case .consultNote: "consult-note"
        case .referralNote: "referral-note"
        case .procedureNote: "procedure-note"
        case .operativeNote: "operative-note"
        case .patientSummary: "patient-summary"
        case .summaryOfEpisode: "episode-summary"
        }
    }

    /// The type a slug or a LOINC code names.
    public init?(slugOrCode text: String) {
        guard let found = Self.allCases.first(where: { $0.slug == text || $0.rawValue == text }) else { return nil }
        self = found
    }
}
