import BigInt
import EthereumCore
import Foundation
import HTTPTypes
import MDRSProtocol

/// Builds fetch requests field by field, so a test can sign for the wrong custodian or chain,
/// reuse a nonce, backdate the time or corrupt the signature.
struct FetchRequestBuilder {
    var key: PrivateKey
    var token: Bytes32
    var encryptedAddress: String
    var purpose = PurposeOfUse.treatment
    var nonce = Bytes32.random()
    var issuedAt = UInt64(Date().timeIntervalSince1970)
    var custodian: Address
    var chainId: BigUInt
    var contract: Address
    var signatureOverride: String?
    var omitSignature = false
    /// The purpose as sent, if not the signed one's code (an unknown code, say).
    var purposeOverride: String?
    /// As a signed URL (the fields in the query string) instead of in headers.
    var asSignedURL = false
    /// Sign as a URL (`FetchLinkRequest`) or as headers (`FetchRequest`) whatever the fields
    /// travel in; nil: as they travel.
    var signAsLink: Bool?

    init(deployment: Deployment, key: PrivateKey, token: Bytes32, encryptedAddress: String) {
        self.key = key
        self.token = token
        self.encryptedAddress = encryptedAddress
        self.custodian = deployment.hospital.address
        self.chainId = deployment.chainId
        self.contract = deployment.contract.address
    }

    /// The signed fields, in the order a client sends them.
    func signedFields() throws -> [(header: String, query: String, value: String)] {
        let sign = signAsLink ?? asSignedURL ? SignedRequest.fetchLink : SignedRequest.fetch
        let typedData = sign(token, encryptedAddress, purpose, nonce, issuedAt, SigningDomain(chainId: chainId, contract: contract, custodian: custodian))
        var fields: [(String, String, String)] = [
            (SignedRequest.Header.token, "token", token.hex), (SignedRequest.Header.purpose, "purpose", purposeOverride ?? purpose.code),
            (SignedRequest.Header.nonce, "nonce", nonce.hex), (SignedRequest.Header.issuedAt, "issuedAt", String(issuedAt)),
        ]
        if !omitSignature {
            fields.append((SignedRequest.Header.signature, "signature", try signatureOverride ?? typedData.sign(with: key).hex))
        }
        return fields
    }

    var path: String { "/v1/access/\(encryptedAddress)" }

    /// The request target: the path, and for a signed URL its query string.
    var uri: String {
        guard asSignedURL, let fields = try? signedFields() else { return path }
        return path + "?" + fields.map { "\($0.query)=\($0.value)" }.joined(separator: "&")
    }

    func headers() throws -> HTTPFields {
        var fields: HTTPFields = [:]
        guard !asSignedURL else { return fields }
        for field in try signedFields() { fields[HTTPField.Name(field.header)!] = field.value }
        return fields
    }
}
