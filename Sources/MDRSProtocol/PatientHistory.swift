/// What `GET /v1/patients/{patient}/accesses` answers: every access and refused attempt on the
/// patient's records held by this custodian.
public struct PatientHistory: Codable, Sendable, Equatable {
    /// What the custodian keeps of a release in a declared emergency (break-glass).
    public struct Emergency: Codable, Sendable, Equatable {
        /// The declaration's id (the entry's token).
        public let id: String
        /// Its reason code (see `EmergencyReason`) and the code's words.
        public let reason: Int
        public let reasonText: String?
        /// The justification the staff member gave; its SHA-256 is on-chain.
        public let justification: String

        public init(id: String, reason: Int, reasonText: String?, justification: String) {
            self.id = id
            self.reason = reason
            self.reasonText = reasonText
            self.justification = justification
        }
    }

    /// One access or refused attempt.
    public struct Access: Codable, Sendable, Equatable {
        public let requestId: String
        public let recordId: String
        public let accessedAt: UInt64
        /// The staff member who asked.
        public let staff: String
        /// The custodian that registers the staff member now (nil if no longer registered).
        public let hospital: String?
        /// The purpose: its number, HL7 v3 PurposeOfUse code and words.
        public let purpose: Int
        public let purposeCode: String?
        public let purposeText: String?
        /// 1 = served, 20 = served in a declared emergency; else the refusal (see `AccessOutcome`),
        /// with the API's code in `reason`.
        public let outcome: Int
        public let reason: String?
        public let rangeStart: Int64?
        public let rangeEnd: Int64?
        /// The on-chain entry's transaction, when it is on-chain.
        public let transactionHash: String?
        public let blockNumber: UInt64?
        /// Present for a release in a declared emergency (outcome 20): shown apart.
        public let emergency: Emergency?

        public init(
            requestId: String, recordId: String, accessedAt: UInt64, staff: String, hospital: String?, purpose: Int,
            purposeCode: String?, purposeText: String?, outcome: Int, reason: String?, rangeStart: Int64?, rangeEnd: Int64?,
            transactionHash: String?, blockNumber: UInt64?, emergency: Emergency? = nil
        ) {
            self.requestId = requestId
            self.recordId = recordId
            self.accessedAt = accessedAt
            self.staff = staff
            self.hospital = hospital
            self.purpose = purpose
            self.purposeCode = purposeCode
            self.purposeText = purposeText
            self.outcome = outcome
            self.reason = reason
            self.rangeStart = rangeStart
            self.rangeEnd = rangeEnd
            self.transactionHash = transactionHash
            self.blockNumber = blockNumber
            self.emergency = emergency
        }
    }

    public let patient: String
    public let custodian: String
    public let accesses: [Access]
    /// Pass as `after` for the next page; nil (absent) on the last page.
    public let next: String?

    public init(patient: String, custodian: String, accesses: [Access], next: String?) {
        self.patient = patient
        self.custodian = custodian
        self.accesses = accesses
        self.next = next
    }
}
