/// Why an access was logged: HL7 v3 PurposeOfUse, the codes hospitals already use.
public enum PurposeOfUse: UInt8, Sendable, CaseIterable, Codable {
    case treatment = 1
    case emergencyTreatment = 2
    case operations = 3
    case payment = 4
    case research = 5
    case publicHealth = 6
    case patientRequest = 7
    case legal = 8

    /// The HL7 code, e.g. `TREAT`.
    public var code: String {
        switch self {
        case .treatment: "TREAT"
        case .emergencyTreatment: "ETREAT"
        case .operations: "HOPERAT"
        case .payment: "HPAYMT"
        case .research: "HRESCH"
        case .publicHealth: "PUBHLTH"
        case .patientRequest: "PATRQT"
        case .legal: "HLEGAL"
        }
    }

    /// The purpose in words, for a person reading their history.
    public var words: String {
        switch self {
        case .treatment: "treatment"
        case .emergencyTreatment: "emergency treatment"
        case .operations: "healthcare operations"
        case .payment: "payment"
        case .research: "research"
        case .publicHealth: "public health"
        case .patientRequest: "at the patient's request"
        case .legal: "legal"
        }
    }

    public init?(code: String) {
        guard let match = Self.allCases.first(where: { $0.code == code.uppercased() }) else { return nil }
        self = match
    }
}
