/// A PKCS#11 operation that failed: what was asked, and the module's return value by name.
public struct PKCS11Error: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The module's file could not be loaded, or is not a PKCS#11 module.
        case moduleNotLoaded
        /// No token with the configured label is present.
        case tokenNotFound
        /// The token refused the PIN (or it is locked).
        case incorrectPIN
        /// No PIN was configured.
        case pinMissing
        /// The token holds no key with the label and class asked for.
        case keyNotFound
        /// A key that can be read out of its token, or of the wrong type or size.
        case unsafeKey
        /// A key with that label exists already (creating one never replaces it).
        case keyExists
        /// A sealed value does not open under the key (its tag does not verify): the data's
        /// fault, not the token's.
        case dataRejected
        /// A `pkcs11:` URI that cannot be used.
        case invalidURI
        /// The module refused or failed an operation.
        case operationFailed
    }

    public let code: Code
    public let message: String
    /// The `CK_RV` the module returned, if one is the cause.
    public let returnValue: UInt?

    public init(_ code: Code, _ message: String, returnValue: UInt? = nil) {
        self.code = code
        self.message = message
        self.returnValue = returnValue
    }

    public var description: String {
        guard let returnValue else { return message }
        return "\(message) (\(Self.name(of: returnValue)))"
    }

    /// The PKCS#11 name of a return value, for messages an operator can look up.
    static func name(of value: UInt) -> String {
        let names: [UInt: String] = [
            0x05: "CKR_GENERAL_ERROR", 0x06: "CKR_FUNCTION_FAILED", 0x07: "CKR_ARGUMENTS_BAD",
            0x13: "CKR_ATTRIBUTE_VALUE_INVALID", 0x30: "CKR_DEVICE_ERROR", 0x31: "CKR_DEVICE_MEMORY",
            0x32: "CKR_DEVICE_REMOVED", 0x40: "CKR_ENCRYPTED_DATA_INVALID", 0x41: "CKR_ENCRYPTED_DATA_LEN_RANGE",
            0x60: "CKR_KEY_HANDLE_INVALID", 0x63: "CKR_KEY_TYPE_INCONSISTENT", 0x68: "CKR_KEY_FUNCTION_NOT_PERMITTED",
            0x70: "CKR_MECHANISM_INVALID", 0x71: "CKR_MECHANISM_PARAM_INVALID", 0x82: "CKR_OBJECT_HANDLE_INVALID",
            0xA0: "CKR_PIN_INCORRECT", 0xA4: "CKR_PIN_LOCKED", 0xB3: "CKR_SESSION_HANDLE_INVALID",
            0xC0: "CKR_SIGNATURE_INVALID", 0xD1: "CKR_TEMPLATE_INCONSISTENT", 0xE0: "CKR_TOKEN_NOT_PRESENT",
            0x101: "CKR_USER_NOT_LOGGED_IN", 0x130: "CKR_DOMAIN_PARAMS_INVALID", 0x140: "CKR_CURVE_NOT_SUPPORTED",
            0x150: "CKR_BUFFER_TOO_SMALL", 0x190: "CKR_CRYPTOKI_NOT_INITIALIZED",
        ]
        return names[value] ?? "CKR 0x\(String(value, radix: 16))"
    }
}
