import BigInt
import Ethereum
import Foundation

/// The EIP-712 messages clients sign. The domain binds every signature to one chain and one
/// contract; each message also names the custodian, so a request signed for one hospital's
/// gateway cannot be replayed at another's. Nonce and time make each signature single-use.
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
    }

    static let domainFields: [TypedData.Field] = [
        .init(name: "name", type: "string"), .init(name: "version", type: "string"),
        .init(name: "chainId", type: "uint256"), .init(name: "verifyingContract", type: "address"),
    ]

    static func domain(chainId: BigUInt, contract: Address) -> JSONValue {
        ["name": "MDRS Gateway", "version": "1", "chainId": .string(String(chainId)), "verifyingContract": .string(contract.checksummed)]
    }

    /// A staff member's request to fetch a record.
    public static func fetch(
        token: Bytes32, encryptedAddress: String, purpose: PurposeOfUse, nonce: Bytes32, issuedAt: UInt64,
        custodian: Address, chainId: BigUInt, contract: Address
    ) -> TypedData {
        TypedData(
            types: [
                "EIP712Domain": domainFields,
                "FetchRequest": [
                    .init(name: "token", type: "bytes32"), .init(name: "encryptedAddress", type: "string"),
                    .init(name: "purpose", type: "uint8"), .init(name: "nonce", type: "bytes32"),
                    .init(name: "issuedAt", type: "uint64"), .init(name: "custodian", type: "address"),
                ],
            ],
            primaryType: "FetchRequest", domain: domain(chainId: chainId, contract: contract),
            message: [
                "token": .string(token.hex), "encryptedAddress": .string(encryptedAddress),
                "purpose": .integer(Int64(purpose.rawValue)), "nonce": .string(nonce.hex),
                "issuedAt": .string(String(issuedAt)), "custodian": .string(custodian.checksummed),
            ])
    }

    /// A hospital system's request to store a record. The content hash is the SHA-256 of the
    /// body the client is about to stream; the gateway refuses the record if it differs.
    public static func store(
        patient: Address, contentType: String, contentSHA256: Bytes32, nonce: Bytes32, issuedAt: UInt64,
        custodian: Address, chainId: BigUInt, contract: Address
    ) -> TypedData {
        TypedData(
            types: [
                "EIP712Domain": domainFields,
                "StoreRequest": [
                    .init(name: "patient", type: "address"), .init(name: "contentType", type: "string"),
                    .init(name: "contentSha256", type: "bytes32"), .init(name: "nonce", type: "bytes32"),
                    .init(name: "issuedAt", type: "uint64"), .init(name: "custodian", type: "address"),
                ],
            ],
            primaryType: "StoreRequest", domain: domain(chainId: chainId, contract: contract),
            message: [
                "patient": .string(patient.checksummed), "contentType": .string(contentType),
                "contentSha256": .string(contentSHA256.hex), "nonce": .string(nonce.hex),
                "issuedAt": .string(String(issuedAt)), "custodian": .string(custodian.checksummed),
            ])
    }

    /// An auditor's query; `query` is the request target exactly as sent (path and query string).
    public static func audit(
        query: String, nonce: Bytes32, issuedAt: UInt64, custodian: Address, chainId: BigUInt, contract: Address
    ) -> TypedData {
        TypedData(
            types: [
                "EIP712Domain": domainFields,
                "AuditRequest": [
                    .init(name: "query", type: "string"), .init(name: "nonce", type: "bytes32"),
                    .init(name: "issuedAt", type: "uint64"), .init(name: "custodian", type: "address"),
                ],
            ],
            primaryType: "AuditRequest", domain: domain(chainId: chainId, contract: contract),
            message: [
                "query": .string(query), "nonce": .string(nonce.hex), "issuedAt": .string(String(issuedAt)),
                "custodian": .string(custodian.checksummed),
            ])
    }
}
