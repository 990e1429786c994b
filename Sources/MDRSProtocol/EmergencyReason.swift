/// Why a member of staff broke the glass: the reason code a declaration carries on-chain
/// (`declareEmergency`), with its words for the people who read the history.
public enum EmergencyReason: UInt8, Sendable, CaseIterable, Codable {
    /// The patient cannot consent: unconscious, or otherwise incapacitated.
    case cannotConsent = 1
    /// A threat to life or limb that cannot wait for a grant.
    case lifeThreatening = 2
    /// Urgent care, and the patient cannot be reached to grant.
    case patientUnreachable = 3
    /// Another emergency; the justification says which.
    case other = 4

    /// The code for the command line, e.g. `cannot-consent`.
    public var code: String {
        switch self {
        case .cannotConsent: "cannot-consent"
        case .lifeThreatening: "life-threatening"
        case .patientUnreachable: "patient-unreachable"
        case .other: "other"
        }
    }

    /// The reason in words, for a person reading their history.
    public var words: String {
        switch self {
        case .cannotConsent: "the patient could not consent (unconscious or incapacitated)"
        case .lifeThreatening: "a life-threatening emergency"
        case .patientUnreachable: "urgent care while the patient could not be reached"
        case .other: "another emergency (see the justification)"
        }
    }

    public init?(code: String) {
        guard let match = Self.allCases.first(where: { $0.code == code.lowercased() }) else { return nil }
        self = match
    }
}
