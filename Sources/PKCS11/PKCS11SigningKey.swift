import CPKCS11
import EthereumCore

/// A secp256k1 key pair whose private half never leaves its token: the token signs digests with
/// CKM_ECDSA, and this type turns the bare `r ‖ s` into an Ethereum signature (low-s, with the
/// recovery id found by recovering the public key it already knows).
public struct PKCS11SigningKey: DigestSigner {
    public let token: PKCS11Token
    /// The label of the private key and of its public key (CKA_LABEL).
    public let label: String
    public let publicKey: PublicKey
    public let address: Address

    /// DER of the named curve secp256k1 (OID 1.3.132.0.10), as CKA_EC_PARAMS holds it.
    static let secp256k1Parameters: [UInt8] = [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x0A]

    /// The key pair labelled `label`. Refused unless the private key is sensitive and not
    /// extractable; ``checkPair()`` then proves its halves match.
    public init(token: PKCS11Token, label: String) throws {
        self.token = token
        self.label = label
        let privateHandle = try token.object(CK_OBJECT_CLASS(CKO_PRIVATE_KEY), label: label, kind: "private key")
        try PKCS11SecretKey.requireUnextractable(token: token, handle: privateHandle, label: label)
        let publicHandle = try token.object(CK_OBJECT_CLASS(CKO_PUBLIC_KEY), label: label, kind: "public key")
        let parameters = try token.attribute(CKA_EC_PARAMS, of: publicHandle, "the curve of '\(label)'")
        guard parameters == Self.secp256k1Parameters else {
            throw PKCS11Error(.keyNotFound, "key '\(label)' on token '\(token.label)' is not a secp256k1 key")
        }
        let point = try token.attribute(CKA_EC_POINT, of: publicHandle, "the public key of '\(label)'")
        self.publicKey = try PublicKey(bytes: try Self.uncompressedPoint(fromECPoint: point))
        self.address = publicKey.address
    }

    /// Signs once and checks the signature recovers the public key: the private and public
    /// keys of one label are found apart, and a mismatch would otherwise show only at the first
    /// transaction.
    public func checkPair() throws {
        do {
            _ = try sign(digest: Keccak256.hash(Array("mdrs/pkcs11/self-test".utf8)))
        } catch let error as KeyError where error.code == .recoveryFailed {
            throw PKCS11Error(.unsafeKey, "the private and public keys labelled '\(label)' on token '\(token.label)' are not one pair")
        }
    }

    /// Creates a secp256k1 key pair labelled `label` in the token: the private key sensitive,
    /// never extractable, allowed to sign only. Refused if the label is taken.
    public static func generate(in token: PKCS11Token, label: String) throws -> PKCS11SigningKey {
        guard try token.find(CK_OBJECT_CLASS(CKO_PRIVATE_KEY), label: label).isEmpty,
            try token.find(CK_OBJECT_CLASS(CKO_PUBLIC_KEY), label: label).isEmpty
        else {
            throw PKCS11Error(.keyExists, "token '\(token.label)' already holds a key labelled '\(label)'")
        }
        var publicTemplate = PKCS11Template()
        publicTemplate.append(CKA_TOKEN, bool: true)
        publicTemplate.append(CKA_LABEL, bytes: Array(label.utf8))
        publicTemplate.append(CKA_EC_PARAMS, bytes: secp256k1Parameters)
        publicTemplate.append(CKA_VERIFY, bool: true)
        var privateTemplate = PKCS11Template()
        privateTemplate.append(CKA_TOKEN, bool: true)
        privateTemplate.append(CKA_LABEL, bytes: Array(label.utf8))
        privateTemplate.append(CKA_PRIVATE, bool: true)
        privateTemplate.append(CKA_SENSITIVE, bool: true)
        privateTemplate.append(CKA_EXTRACTABLE, bool: false)
        privateTemplate.append(CKA_SIGN, bool: true)
        privateTemplate.append(CKA_DERIVE, bool: false)
        try token.withSession { session, f in
            var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_EC_KEY_PAIR_GEN), pParameter: nil, ulParameterLen: 0)
            var publicHandle: CK_OBJECT_HANDLE = 0
            var privateHandle: CK_OBJECT_HANDLE = 0
            try publicTemplate.withAttributes { publicAttributes, publicCount in
                try privateTemplate.withAttributes { privateAttributes, privateCount in
                    try token.check(
                        f.C_GenerateKeyPair!(
                            session, &mechanism, publicAttributes, publicCount, privateAttributes, privateCount, &publicHandle,
                            &privateHandle),
                        "creating secp256k1 key pair '\(label)'")
                }
            }
        }
        return try PKCS11SigningKey(token: token, label: label)
    }

    public func sign(digest: [UInt8]) throws -> Signature {
        guard digest.count == 32 else { throw KeyError(.signingFailed, "digest must be 32 bytes, got \(digest.count)") }
        let signature = try token.withObject(CK_OBJECT_CLASS(CKO_PRIVATE_KEY), label: label, kind: "private key") { handle in
            try token.singlePart(
                "ECDSA signing with '\(label)'", mechanism: CK_MECHANISM_TYPE(CKM_ECDSA), key: handle, input: digest,
                outputCapacity: 64, initialize: { $0.C_SignInit }, run: { $0.C_Sign })
        }
        guard signature.count == 64 else {
            throw PKCS11Error(.operationFailed, "the token's ECDSA signature has \(signature.count) bytes, not 64")
        }
        return try Signature(r: Array(signature[0..<32]), s: Array(signature[32..<64]), digest: digest, signer: address)
    }

    /// `04 ‖ x ‖ y` from CKA_EC_POINT: DER OCTET STRING around it (PKCS#11 2.40), or bare (some
    /// modules).
    static func uncompressedPoint(fromECPoint value: [UInt8]) throws -> [UInt8] {
        if value.count == 67, value[0] == 0x04, value[1] == 0x41, value[2] == 0x04 { return Array(value[2...]) }
        if value.count == 65, value[0] == 0x04 { return value }
        throw PKCS11Error(.operationFailed, "the token's CKA_EC_POINT (\(value.count) bytes) is not an uncompressed point")
    }
}

extension PKCS11SigningKey: CustomStringConvertible {
    public var description: String { "PKCS11SigningKey(\(address), token '\(token.label)', label '\(label)')" }
}
