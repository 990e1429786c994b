/// What `GET /v1/emergencies` answers an auditor: the emergencies (break-glass) this custodian
/// released records in, newest first, each with its review once an auditor has made it.
public struct EmergencyQueue: Codable, Sendable, Equatable {
    /// An auditor's review, signed by them (EIP-712 `EmergencyReview`).
    public struct Review: Codable, Sendable, Equatable {
        /// 1 justified, 2 not justified; `verdictText` in words.
        public let verdict: Int
        public let verdictText: String
        public let note: String
        public let reviewer: String
        /// Unix seconds, as the auditor signed it (`issuedAt`).
        public let reviewedAt: UInt64
        public let signature: String
        /// Where the chain holds it (`reviewEmergency`): absent until the outbox has written it.
        public let transactionHash: String?
        public let blockNumber: UInt64?

        public init(
            verdict: Int, verdictText: String, note: String, reviewer: String, reviewedAt: UInt64, signature: String,
            transactionHash: String?, blockNumber: UInt64?
        ) {
            self.verdict = verdict
            self.verdictText = verdictText
            self.note = note
            self.reviewer = reviewer
            self.reviewedAt = reviewedAt
            self.signature = signature
            self.transactionHash = transactionHash
            self.blockNumber = blockNumber
        }

        /// The verdict's words.
        public static func words(_ verdict: Int) -> String { verdict == 1 ? "justified" : "not justified" }
    }

    /// One declared emergency in which this custodian released a record.
    public struct Emergency: Codable, Sendable, Equatable {
        public let id: String
        /// Who declared it and received the record.
        public let staff: String
        public let patient: String?
        public let recordId: String
        /// The reason code (see `EmergencyReason`) and its words.
        public let reason: Int
        public let reasonText: String?
        /// The justification the staff member gave (its SHA-256 is on-chain).
        public let justification: String
        /// The releases made in it: how many, the first and the last (Unix seconds).
        public let releases: Int
        public let firstReleasedAt: UInt64
        public let lastReleasedAt: UInt64
        public let review: Review?

        public init(
            id: String, staff: String, patient: String?, recordId: String, reason: Int, reasonText: String?, justification: String,
            releases: Int, firstReleasedAt: UInt64, lastReleasedAt: UInt64, review: Review?
        ) {
            self.id = id
            self.staff = staff
            self.patient = patient
            self.recordId = recordId
            self.reason = reason
            self.reasonText = reasonText
            self.justification = justification
            self.releases = releases
            self.firstReleasedAt = firstReleasedAt
            self.lastReleasedAt = lastReleasedAt
            self.review = review
        }
    }

    public let custodian: String
    public let emergencies: [Emergency]

    public init(custodian: String, emergencies: [Emergency]) {
        self.custodian = custodian
        self.emergencies = emergencies
    }
}
