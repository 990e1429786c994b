import EthereumCore
import MDRSProtocol

/// The custodian's own row for one fetch decision. Its ``commitment`` goes on-chain with the
/// entry, so an auditor can check that the row was not altered afterwards.
public struct AccessRecord: Equatable, Sendable {
    public let requestId: Bytes32
    public let token: Bytes32
    public let recordId: Bytes32
    /// The signer (zero if the request carried no valid signature).
    public let staff: Address
    public let patient: Address?
    public let custodian: Address
    public let purpose: UInt8
    public let outcome: AccessOutcome
    /// The error code of a refusal, "served" otherwise.
    public let reason: String
    public let accessedAt: UInt64
    public let rangeStart: Int64?
    public let rangeEnd: Int64?
    /// Keccak-256 of the request's signature bytes (zero if none).
    public let signatureHash: Bytes32

    package init(requestId: Bytes32, token: Bytes32, recordId: Bytes32, staff: Address, patient: Address?, custodian: Address, purpose: UInt8, outcome: AccessOutcome, reason: String, accessedAt: UInt64, rangeStart: Int64?, rangeEnd: Int64?, signatureHash: Bytes32) {
        self.requestId = requestId
        self.token = token
        self.recordId = recordId
        self.staff = staff
        self.patient = patient
        self.custodian = custodian
        self.purpose = purpose
        self.outcome = outcome
        self.reason = reason
        self.accessedAt = accessedAt
        self.rangeStart = rangeStart
        self.rangeEnd = rangeEnd
        self.signatureHash = signatureHash
    }

    /// `keccak256(abi.encode(...))` over every field, in this order. Auditors recompute it.
    public var commitment: Bytes32 {
        // Every value matches its type by construction, so encoding cannot fail.
        guard let encoded = try? ABI.encode(
            [
                .string("mdrs-access-v1"), .bytes32(requestId), .bytes32(token), .bytes32(recordId), .address(staff),
                .address(patient ?? .zero), .address(custodian), .uint64(UInt64(purpose)), .uint64(UInt64(outcome.rawValue)),
                .string(reason), .uint64(accessedAt), .int(.init(rangeStart ?? -1)), .int(.init(rangeEnd ?? -1)),
                .bytes32(signatureHash),
            ],
            as: [.string, .fixedBytes(32), .fixedBytes(32), .fixedBytes(32), .address, .address, .address, .uint(8), .uint(8),
                 .string, .uint(64), .int(64), .int(64), .fixedBytes(32)])
        else { preconditionFailure("the access commitment's values do not match their types") }
        return Bytes32.keccak(encoded)
    }

    /// The entry as logged on-chain.
    public var entry: AccessEntry {
        AccessEntry(
            requestId: requestId, token: token, recordId: recordId, staff: staff, purpose: purpose,
            outcome: outcome.rawValue, accessedAt: accessedAt, commitment: commitment)
    }
}
