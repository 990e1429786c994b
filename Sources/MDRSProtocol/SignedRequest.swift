import BigInt
import EthereumCore
import Foundation

/// The EIP-712 messages clients sign, each bound to a ``SigningDomain``. Nonce and time make
/// each signature single-use.
public enum SignedRequest {
    /// The HTTP headers that carry the signed fields.
    public enum Header {
        public static let token = "MDRS-Token"
        public static let purpose = "MDRS-Purpose"
        public static let nonce = "MDRS-Nonce"
        public static let issuedAt = "MDRS-Issued-At"
        public static let signature = "MDRS-Signature"
        public static let patient = "MDRS-Patient"
        public static let contentSHA256 = "MDRS-Content-SHA256"
        public static let requestId = "MDRS-Request-Id"
        public static let recordSHA256 = "MDRS-Record-SHA256"
        /// A store's document metadata (``DocumentMetadata/headerValue``).
        public static let document = "MDRS-Document"
        /// A fetch in a declared emergency: the justification's text (percent-encoded UTF-8),
        /// whose SHA-256 the declaration put on-chain. Its presence makes the token an
        /// emergency's id rather than a grant's.
        public static let emergencyJustification = "MDRS-Emergency-Justification"
    }

    static let domainFields: [TypedData.Field] = [
        .init(name: "name", type: "string"), .init(name: "version", type: "string"),
        .init(name: "chainId", type: "uint256"), .init(name: "verifyingContract", type: "address"),
    ]

    /// A message of `primaryType` with `fields` (name, type, value) in that order. Every message
    /// ends with the nonce, the time and the custodian; the domain is the chain and contract.
    static func message(
        _ primaryType: String, _ fields: [(String, String, JSONValue)], nonce: Bytes32, issuedAt: UInt64, domain: SigningDomain
    ) -> TypedData {
        let all = fields + [
            ("nonce", "bytes32", .string(nonce.hex)), ("issuedAt", "uint64", .string(String(issuedAt))),
            ("custodian", "address", .string(domain.custodian.checksummed)),
        ]
        return TypedData(
            types: ["EIP712Domain": domainFields, primaryType: all.map { TypedData.Field(name: $0.0, type: $0.1) }],
            primaryType: primaryType,
            domain: [
                "name": "MDRS Gateway", "version": "1", "chainId": .string(String(domain.chainId)),
                "verifyingContract": .string(domain.contract.checksummed),
            ],
            message: .object(Dictionary(uniqueKeysWithValues: all.map { ($0.0, $0.2) })))
    }

    /// A staff member's request to fetch a record.
    public static func fetch(
        token: Bytes32, encryptedAddress: String, purpose: PurposeOfUse, nonce: Bytes32, issuedAt: UInt64, domain: SigningDomain
    ) -> TypedData {
        message(
            "FetchRequest",
            [
                ("token", "bytes32", .string(token.hex)), ("encryptedAddress", "string", .string(encryptedAddress)),
                ("purpose", "uint8", .integer(Int64(purpose.rawValue))),
            ],
            nonce: nonce, issuedAt: issuedAt, domain: domain)
    }

    /// A fetch signed to travel as a single-use URL (a browser download cannot send headers).
    /// The same fields as ``fetch(token:encryptedAddress:purpose:nonce:issuedAt:domain:)`` under
    /// its own type: a URL's signature is good only as a URL, within the URL's shorter window,
    /// never as signed headers within theirs.
    public static func fetchLink(
        token: Bytes32, encryptedAddress: String, purpose: PurposeOfUse, nonce: Bytes32, issuedAt: UInt64, domain: SigningDomain
    ) -> TypedData {
        message(
            "FetchLinkRequest",
            [
                ("token", "bytes32", .string(token.hex)), ("encryptedAddress", "string", .string(encryptedAddress)),
                ("purpose", "uint8", .integer(Int64(purpose.rawValue))),
            ],
            nonce: nonce, issuedAt: issuedAt, domain: domain)
    }

    /// A hospital system's request to store a record. The content hash is the SHA-256 of the
    /// body the client is about to stream; the gateway refuses the record if it differs.
    /// `document` is the JSON text of the record's ``DocumentMetadata`` (what the
    /// `MDRS-Document` header carries, decoded), or empty for a record without one.
    public static func store(
        patient: Address, contentType: String, contentSHA256: Bytes32, document: String = "", nonce: Bytes32, issuedAt: UInt64,
        domain: SigningDomain
    ) -> TypedData {
        message(
            "StoreRequest",
            [
                ("patient", "address", .string(patient.checksummed)), ("contentType", "string", .string(contentType)),
                ("contentSha256", "bytes32", .string(contentSHA256.hex)), ("document", "string", .string(document)),
            ],
            nonce: nonce, issuedAt: issuedAt, domain: domain)
    }

    /// A request to read what a record is (its ``DocumentMetadata``): by the patient or a
    /// records clerk of the custodian (`token` zero), or by a grantee presenting their grant's
    /// token.
    public static func document(recordId: Bytes32, token: Bytes32, nonce: Bytes32, issuedAt: UInt64, domain: SigningDomain) -> TypedData {
        message(
            "DocumentRequest", [("recordId", "bytes32", .string(recordId.hex)), ("token", "bytes32", .string(token.hex))],
            nonce: nonce, issuedAt: issuedAt, domain: domain)
    }

    /// An auditor's query; `query` is the request target exactly as sent (path and query string).
    public static func audit(query: String, nonce: Bytes32, issuedAt: UInt64, domain: SigningDomain) -> TypedData {
        message(
            "AuditRequest", [("query", "string", .string(query))],
            nonce: nonce, issuedAt: issuedAt, domain: domain)
    }

    /// A patient's request for the history of their own records; `query` is the request target
    /// exactly as sent. An auditor may sign it too.
    public static func patient(
        _ patient: Address, query: String, nonce: Bytes32, issuedAt: UInt64, domain: SigningDomain
    ) -> TypedData {
        message(
            "PatientRequest", [("patient", "address", .string(patient.checksummed)), ("query", "string", .string(query))],
            nonce: nonce, issuedAt: issuedAt, domain: domain)
    }

    /// An auditor's review of an emergency released by this custodian: the verdict (1
    /// justified, 2 not justified) and the note, exactly as sent in the body.
    public static func emergencyReview(
        emergency: Bytes32, verdict: UInt8, note: String, nonce: Bytes32, issuedAt: UInt64, domain: SigningDomain
    ) -> TypedData {
        message(
            "EmergencyReview",
            [("emergency", "bytes32", .string(emergency.hex)), ("verdict", "uint8", .string(String(verdict))), ("note", "string", .string(note))],
            nonce: nonce, issuedAt: issuedAt, domain: domain)
    }

    /// The domain and the types of every request, as `GET /v1/info` publishes them.
    public static func typeDefinitions(chainId: BigUInt, contract: Address) -> (domain: JSONValue, types: [String: [TypedData.Field]]) {
        let domain = SigningDomain(chainId: chainId, contract: contract, custodian: .zero)
        let messages = [
            fetch(token: .zero, encryptedAddress: "", purpose: .treatment, nonce: .zero, issuedAt: 0, domain: domain),
            fetchLink(token: .zero, encryptedAddress: "", purpose: .treatment, nonce: .zero, issuedAt: 0, domain: domain),
            store(patient: .zero, contentType: "", contentSHA256: .zero, nonce: .zero, issuedAt: 0, domain: domain),
            document(recordId: .zero, token: .zero, nonce: .zero, issuedAt: 0, domain: domain),
            audit(query: "", nonce: .zero, issuedAt: 0, domain: domain),
            patient(.zero, query: "", nonce: .zero, issuedAt: 0, domain: domain),
            emergencyReview(emergency: .zero, verdict: 1, note: "", nonce: .zero, issuedAt: 0, domain: domain),
        ]
        var types = [String: [TypedData.Field]]()
        for message in messages { types.merge(message.types) { first, _ in first } }
        return (messages[0].domain, types)
    }
}

