import CPKCS11
import EthereumCore

/// An AES-256 key that never leaves its token: it seals and opens with AES-GCM, and computes
/// AES-CMAC, inside the token.
public struct PKCS11SecretKey: Sendable {
    public let token: PKCS11Token
    /// The key's label (CKA_LABEL).
    public let label: String

    /// The secret key labelled `label`. Refused unless it is a 256-bit AES key that is sensitive
    /// and not extractable: a key that can be read out gives none of what an HSM is for.
    public init(token: PKCS11Token, label: String) throws {
        self.token = token
        self.label = label
        let handle = try token.object(CK_OBJECT_CLASS(CKO_SECRET_KEY), label: label, kind: "secret key")
        let keyType = try token.attribute(CKA_KEY_TYPE, of: handle, "the type of '\(label)'")
        let length = try token.attribute(CKA_VALUE_LEN, of: handle, "the length of '\(label)'")
        guard keyType == withUnsafeBytes(of: CK_KEY_TYPE(CKK_AES), Array.init),
            length == withUnsafeBytes(of: CK_ULONG(32), Array.init)
        else {
            throw PKCS11Error(.unsafeKey, "secret key '\(label)' on token '\(token.label)' is not a 256-bit AES key")
        }
        try Self.requireUnextractable(token: token, handle: handle, label: label)
    }

    static func requireUnextractable(token: PKCS11Token, handle: CK_OBJECT_HANDLE, label: String) throws {
        guard try token.attribute(CKA_SENSITIVE, of: handle, "whether '\(label)' is sensitive") == [1],
            try token.attribute(CKA_EXTRACTABLE, of: handle, "whether '\(label)' is extractable") == [0]
        else {
            throw PKCS11Error(
                .unsafeKey,
                "key '\(label)' on token '\(token.label)' can be read out of the token (CKA_SENSITIVE false or CKA_EXTRACTABLE true); create one that cannot (mdrs keys new-master --pkcs11, mdrs keys new --pkcs11)")
        }
    }

    /// Creates an AES-256 key labelled `label` in the token, with ``keyTemplate(label:)``'s
    /// attributes. Refused if the label is taken.
    public static func generate(in token: PKCS11Token, label: String) throws -> PKCS11SecretKey {
        guard try token.find(CK_OBJECT_CLASS(CKO_SECRET_KEY), label: label).isEmpty else {
            throw PKCS11Error(.keyExists, "token '\(token.label)' already holds a secret key labelled '\(label)'")
        }
        try makeKey(in: token, keyTemplate(label: label), label: label)
        return try PKCS11SecretKey(token: token, label: label)
    }

    /// An AES-256 token object, private, sensitive and never extractable, allowed to encrypt,
    /// decrypt and sign (CMAC) only.
    static func keyTemplate(label: String) -> PKCS11Template {
        var template = PKCS11Template()
        template.append(CKA_CLASS, ulong: CK_OBJECT_CLASS(CKO_SECRET_KEY))
        template.append(CKA_KEY_TYPE, ulong: CK_KEY_TYPE(CKK_AES))
        template.append(CKA_VALUE_LEN, ulong: 32)
        template.append(CKA_LABEL, bytes: Array(label.utf8))
        template.append(CKA_TOKEN, bool: true)
        template.append(CKA_PRIVATE, bool: true)
        template.append(CKA_SENSITIVE, bool: true)
        template.append(CKA_EXTRACTABLE, bool: false)
        template.append(CKA_ENCRYPT, bool: true)
        template.append(CKA_DECRYPT, bool: true)
        template.append(CKA_SIGN, bool: true)
        template.append(CKA_WRAP, bool: false)
        template.append(CKA_UNWRAP, bool: false)
        return template
    }

    /// Generates an AES key with `template`'s attributes in the token.
    static func makeKey(in token: PKCS11Token, _ template: PKCS11Template, label: String) throws {
        try token.withSession { session, f in
            var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_AES_KEY_GEN), pParameter: nil, ulParameterLen: 0)
            var handle: CK_OBJECT_HANDLE = 0
            try template.withAttributes { attributes, count in
                try token.check(f.C_GenerateKey!(session, &mechanism, attributes, count, &handle), "creating AES key '\(label)'")
            }
        }
    }

    /// AES-256-GCM with a 16-byte tag: `ciphertext ‖ tag`, and the nonce the token used (a
    /// module in a mode that chooses its own IV writes it back over the one given).
    public func seal(_ plaintext: [UInt8], nonce: [UInt8], authenticating additionalData: [UInt8]) throws -> (sealed: [UInt8], nonce: [UInt8]) {
        let (sealed, used) = try gcm(plaintext, nonce: nonce, additionalData: additionalData, outputCapacity: plaintext.count + 16, encrypt: true)
        return (sealed, used)
    }

    /// Opens what ``seal(_:nonce:authenticating:)`` sealed. A value whose tag does not verify
    /// throws ``PKCS11Error/Code/dataRejected``; any other failure is the token's.
    public func open(_ sealed: [UInt8], nonce: [UInt8], authenticating additionalData: [UInt8]) throws -> [UInt8] {
        let rejected = PKCS11Error(.dataRejected, "a sealed value does not open under '\(label)'")
        guard sealed.count >= 16 else { throw rejected }
        do {
            return try gcm(sealed, nonce: nonce, additionalData: additionalData, outputCapacity: sealed.count, encrypt: false).output
        } catch let error as PKCS11Error where error.returnValue == CKR_ENCRYPTED_DATA_INVALID || error.returnValue == CKR_ENCRYPTED_DATA_LEN_RANGE {
            throw rejected
        } catch let error as PKCS11Error where error.returnValue == CKR_GENERAL_ERROR || error.returnValue == CKR_FUNCTION_FAILED {
            // How some modules (SoftHSM2) say a tag did not verify, and how others say they
            // failed: if the key still seals and opens a value of its own, the data was at fault.
            if (try? opensWhatItSeals()) == true { throw rejected }
            throw error
        }
    }

    /// Seals 16 random bytes and opens them again.
    private func opensWhatItSeals() throws -> Bool {
        let probe = Bytes32.random().bytes
        let nonce = Array(Bytes32.random().bytes.prefix(12))
        let (sealed, used) = try gcm(Array(probe.prefix(16)), nonce: nonce, additionalData: [], outputCapacity: 32, encrypt: true)
        return try gcm(sealed, nonce: used, additionalData: [], outputCapacity: sealed.count, encrypt: false).output == Array(probe.prefix(16))
    }

    /// AES-CMAC of `message` (16 bytes): a pseudo-random function of the key, for deriving
    /// identifiers and keys from it without it leaving the token.
    public func mac(_ message: [UInt8]) throws -> [UInt8] {
        try token.withObject(CK_OBJECT_CLASS(CKO_SECRET_KEY), label: label, kind: "secret key") { handle in
            try token.singlePart(
                "AES-CMAC with '\(label)'", mechanism: CK_MECHANISM_TYPE(CKM_AES_CMAC), key: handle, input: message,
                outputCapacity: 16, initialize: { $0.C_SignInit }, run: { $0.C_Sign })
        }
    }

    private func gcm(
        _ input: [UInt8], nonce: [UInt8], additionalData: [UInt8], outputCapacity: Int, encrypt: Bool
    ) throws -> (output: [UInt8], nonce: [UInt8]) {
        try token.withObject(CK_OBJECT_CLASS(CKO_SECRET_KEY), label: label, kind: "secret key") { handle in
            var nonce = nonce
            var additionalData = additionalData
            let output = try nonce.withUnsafeMutableBufferPointer { nonceBuffer in
                try additionalData.withUnsafeMutableBufferPointer { aadBuffer in
                    var parameters = CK_GCM_PARAMS(
                        pIv: nonceBuffer.baseAddress, ulIvLen: CK_ULONG(nonceBuffer.count), ulIvBits: CK_ULONG(nonceBuffer.count * 8),
                        pAAD: aadBuffer.baseAddress, ulAADLen: CK_ULONG(aadBuffer.count), ulTagBits: 128)
                    return try withUnsafeMutableBytes(of: &parameters) { parameterBuffer in
                        try token.singlePart(
                            encrypt ? "AES-GCM sealing with '\(label)'" : "AES-GCM opening with '\(label)'",
                            mechanism: CK_MECHANISM_TYPE(CKM_AES_GCM), parameter: parameterBuffer, key: handle, input: input,
                            outputCapacity: outputCapacity,
                            initialize: { encrypt ? $0.C_EncryptInit : $0.C_DecryptInit },
                            run: { encrypt ? $0.C_Encrypt : $0.C_Decrypt })
                    }
                }
            }
            return (output, nonce)
        }
    }
}
