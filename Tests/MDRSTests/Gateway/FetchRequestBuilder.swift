import BigInt
import Ethereum
import Foundation
import HTTPTypes
import MDRS

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

    init(deployment: Deployment, key: PrivateKey, token: Bytes32, encryptedAddress: String) {
        self.key = key
        self.token = token
        self.encryptedAddress = encryptedAddress
        self.custodian = deployment.hospital.address
        self.chainId = deployment.chainId
        self.contract = deployment.contract.address
    }

    var uri: String { "/v1/access/\(encryptedAddress)" }

    func headers() throws -> HTTPFields {
        let typedData = SignedRequest.fetch(
            token: token, encryptedAddress: encryptedAddress, purpose: purpose, nonce: nonce, issuedAt: issuedAt,
            custodian: custodian, chainId: chainId, contract: contract)
        var fields: HTTPFields = [:]
        fields[HTTPField.Name(SignedRequest.Header.token)!] = token.hex
        fields[HTTPField.Name(SignedRequest.Header.purpose)!] = purpose.code
        fields[HTTPField.Name(SignedRequest.Header.nonce)!] = nonce.hex
        fields[HTTPField.Name(SignedRequest.Header.issuedAt)!] = String(issuedAt)
        if !omitSignature {
            fields[HTTPField.Name(SignedRequest.Header.signature)!] = try signatureOverride ?? typedData.sign(with: key).hex
        }
        return fields
    }
}
