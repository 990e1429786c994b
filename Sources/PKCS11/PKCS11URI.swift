/// A key in a token, named as RFC 7512 names it: `pkcs11:token=<label>;object=<label>`.
///
/// Only what the gateway needs is accepted: the token's label, the key's label, and optionally
/// its `type`. A PIN never travels in a URI (`pin-value` is refused): it is read from a file or
/// the environment.
public struct PKCS11URI: Sendable, Hashable, CustomStringConvertible {
    /// The token's label (CKA_LABEL of the token, as `softhsm2-util --init-token --label` sets it).
    public let token: String
    /// The key's label (CKA_LABEL).
    public let object: String

    public init(token: String, object: String) {
        self.token = token
        self.object = object
    }

    /// Whether `text` is meant as a `pkcs11:` URI rather than a file path.
    public static func isURI(_ text: String) -> Bool { text.hasPrefix("pkcs11:") }

    /// Parses `pkcs11:token=…;object=…[;type=…]`, percent-decoding each value.
    public init(_ text: String) throws {
        guard Self.isURI(text) else { throw PKCS11Error(.invalidURI, "not a pkcs11: URI") }
        let path = Substring(text.dropFirst("pkcs11:".count))
        if let query = path.firstIndex(of: "?") {
            let attributes = path[path.index(after: query)...].split(separator: "&").map { $0.split(separator: "=").first ?? "" }
            if attributes.contains("pin-value") {
                throw PKCS11Error(.invalidURI, "a PIN does not belong in a pkcs11: URI; give it in a file or the environment")
            }
            throw PKCS11Error(
                .invalidURI,
                "pkcs11: URI query attributes (\(attributes.joined(separator: ", "))) are not supported; the module and PIN are configured apart")
        }
        var token: String?
        var object: String?
        for part in path.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            let name = pair.first ?? ""
            guard ["token", "object", "type"].contains(name) else {
                throw PKCS11Error(
                    .invalidURI,
                    name == "pin-value"
                        ? "a PIN does not belong in a pkcs11: URI; give it in a file or the environment"
                        : "pkcs11: URI attribute \(name.prefix(32)) is not supported (token, object, type)")
            }
            guard pair.count == 2 else { throw PKCS11Error(.invalidURI, "pkcs11: URI attribute \(name) has no value") }
            let value = try Self.percentDecoded(pair[1], attribute: String(name))
            switch name {
            case "token": token = value
            case "object": object = value
            default:
                guard ["secret-key", "private", "public"].contains(value) else {
                    throw PKCS11Error(.invalidURI, "pkcs11: URI type must be secret-key, private or public")
                }
            }
        }
        guard let token, !token.isEmpty, let object, !object.isEmpty else {
            throw PKCS11Error(.invalidURI, "a pkcs11: URI must name the token and the object: pkcs11:token=<label>;object=<label>")
        }
        self.init(token: token, object: object)
    }

    public var description: String {
        "pkcs11:token=\(Self.percentEncoded(token));object=\(Self.percentEncoded(object))"
    }

    /// Percent-decodes an attribute's value; errors name the attribute, never the value.
    private static func percentDecoded(_ text: Substring, attribute: String) throws -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            let digits = Array(utf8.prefix(2))
            guard digits.count == 2, digits.allSatisfy({ UInt8(ascii: "0")...UInt8(ascii: "9") ~= $0 || UInt8(ascii: "a")...UInt8(ascii: "f") ~= $0 | 0x20 }),
                let value = UInt8(String(decoding: digits, as: UTF8.self), radix: 16)
            else {
                throw PKCS11Error(.invalidURI, "pkcs11: URI attribute \(attribute) has a malformed percent escape")
            }
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw PKCS11Error(.invalidURI, "pkcs11: URI attribute \(attribute) is not UTF-8")
        }
        return decoded
    }

    private static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, scalar.properties.isAlphabetic || ("0"..."9").contains(Character(scalar)) || "-._~".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
