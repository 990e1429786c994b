/// One access as the auditor sees it: the on-chain entry joined with the custodian's row.
public struct AuditEntry: Codable, Sendable, Equatable {
    public struct OnChain: Codable, Sendable, Equatable {
        public let transactionHash: String
        public let blockNumber: UInt64
        public let logIndex: UInt64
        public let commitment: String
        /// The entry's number in the custodian's on-chain log (1, 2, 3, ... without gaps).
        public let sequence: UInt64

        public init(transactionHash: String, blockNumber: UInt64, logIndex: UInt64, commitment: String, sequence: UInt64) {
            self.transactionHash = transactionHash
            self.blockNumber = blockNumber
            self.logIndex = logIndex
            self.commitment = commitment
            self.sequence = sequence
        }
    }

    public struct Local: Codable, Sendable, Equatable {
        public let reason: String
        /// pending, submitted, confirmed, local_only or rejected.
        public let chainState: LogState
        public let rangeStart: Int64?
        public let rangeEnd: Int64?
        /// Keccak-256 of the request's signature: with the other fields, enough to recompute
        /// the commitment (see docs/decisions.md).
        public let signatureHash: String
        /// Whether the row still hashes to the commitment it was logged with.
        public let commitmentValid: Bool
        /// The requester's IP address as the gateway's connection saw it (a reverse proxy's, behind
        /// one); absent for rows written before it was kept.
        public let clientAddress: String?

        public init(
            reason: String, chainState: LogState, rangeStart: Int64?, rangeEnd: Int64?, signatureHash: String, commitmentValid: Bool,
            clientAddress: String? = nil
        ) {
            self.reason = reason
            self.chainState = chainState
            self.rangeStart = rangeStart
            self.rangeEnd = rangeEnd
            self.signatureHash = signatureHash
            self.commitmentValid = commitmentValid
            self.clientAddress = clientAddress
        }
    }

    public let requestId: String
    public let token: String
    public let recordId: String
    public let staff: String
    public let patient: String?
    public let purpose: Int
    public let outcome: Int
    public let accessedAt: UInt64
    public let onChain: OnChain?
    public let local: Local?

    public init(requestId: String, token: String, recordId: String, staff: String, patient: String?, purpose: Int, outcome: Int, accessedAt: UInt64, onChain: OnChain?, local: Local?) {
        self.requestId = requestId
        self.token = token
        self.recordId = recordId
        self.staff = staff
        self.patient = patient
        self.purpose = purpose
        self.outcome = outcome
        self.accessedAt = accessedAt
        self.onChain = onChain
        self.local = local
    }
}
