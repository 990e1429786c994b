/// A hospital's staff directory as its gateway serves it at `GET /v1/staff`: who its registered
/// staff are, by name, role and department. The bytes served hash (SHA-256) to what the
/// custodian published on-chain (`getCustodian(...).directory`); a client accepts nothing else.
/// It names people only, never patients.
public struct StaffDirectory: Codable, Sendable, Equatable {
    /// What a member of staff does, as the portal and the CLI say it.
    public enum Role: String, Codable, Sendable, CaseIterable {
        case physician, nurse, pharmacist, technician, auditor, other
        case recordsClerk = "records_clerk"

        /// In words, for a person.
        public var words: String {
            switch self {
            case .physician: "physician"
            case .nurse: "nurse"
            case .pharmacist: "pharmacist"
            case .technician: "technician"
            case .auditor: "auditor"
            case .other: "staff"
            case .recordsClerk: "records clerk"
            }
        }
    }

    public struct Member: Codable, Sendable, Equatable {
        /// Checksummed address of the staff key.
        public let address: String
        public let name: String
        public let role: Role
        public let department: String?

        /// "Dr. Ana Silva, physician, Cardiology": how people read a member (without the hospital).
        public var display: String {
            [name, role.words, department].compactMap { $0 }.joined(separator: ", ")
        }

        public init(address: String, name: String, role: Role, department: String?) {
            self.address = address
            self.name = name
            self.role = role
            self.department = department
        }
    }

    public let version: Int
    /// The custodian's checksummed address: the directory is its.
    public let custodian: String
    /// When it was written, Unix seconds.
    public let issuedAt: UInt64
    public let staff: [Member]

    public init(custodian: String, issuedAt: UInt64, staff: [Member]) {
        self.version = 1
        self.custodian = custodian
        self.issuedAt = issuedAt
        self.staff = staff
    }
}
