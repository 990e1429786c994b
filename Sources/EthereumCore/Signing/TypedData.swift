import BigInt

/// EIP-712 typed structured data, in the JSON shape of `eth_signTypedData_v4`.
///
/// The digest binds the message to a domain (name, version, chain id, verifying contract,
/// salt), so a signature made for one contract or chain is worthless on another.
public struct TypedData: Equatable, Sendable, Codable {
    /// A member of a struct type.
    public struct Field: Equatable, Hashable, Sendable, Codable {
        public let name: String
        public let type: String

        public init(name: String, type: String) {
            self.name = name
            self.type = type
        }
    }

    public var types: [String: [Field]]
    public var primaryType: String
    public var domain: JSONValue
    public var message: JSONValue

    public init(types: [String: [Field]], primaryType: String, domain: JSONValue, message: JSONValue) {
        self.types = types
        self.primaryType = primaryType
        self.domain = domain
        self.message = message
    }

    /// The order EIP-712 gives the optional domain fields when no `EIP712Domain` type is listed.
    static let domainFieldOrder: [Field] = [
        Field(name: "name", type: "string"),
        Field(name: "version", type: "string"),
        Field(name: "chainId", type: "uint256"),
        Field(name: "verifyingContract", type: "address"),
        Field(name: "salt", type: "bytes32"),
    ]

    /// The domain's struct type: as listed, or the fields present in `domain`.
    var domainFields: [Field] {
        if let listed = types["EIP712Domain"] { return listed }
        let present = domain.objectValue ?? [:]
        return Self.domainFieldOrder.filter { present[$0.name] != nil }
    }

    private var allTypes: [String: [Field]] {
        var all = types
        all["EIP712Domain"] = domainFields
        return all
    }

    /// `hashStruct(domain)`.
    public func domainSeparator() throws -> Bytes32 {
        try Bytes32(bytes: Self.hashStruct("EIP712Domain", domain, types: allTypes))
    }

    /// `hashStruct(message)` for the primary type.
    public func structHash() throws -> Bytes32 {
        guard types[primaryType] != nil else {
            throw TypedDataError("primary type \(primaryType) is not among the types")
        }
        return try Bytes32(bytes: Self.hashStruct(primaryType, message, types: allTypes))
    }

    /// The digest that is signed: `keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ structHash)`.
    public func signingHash() throws -> Bytes32 {
        Bytes32.keccak([0x19, 0x01] + (try domainSeparator()).bytes + (try structHash()).bytes)
    }

    /// Signs the digest with `key`.
    public func sign(with key: some DigestSigner) throws -> Signature {
        try key.sign(digest: signingHash().bytes)
    }

    /// The address that signed this typed data.
    public func recoverSigner(_ signature: Signature) throws -> Address {
        try Address(recoveringFrom: signature, digest: signingHash().bytes)
    }

    /// `encodeType`: the primary type's signature followed by every struct it references,
    /// sorted by name.
    public static func encodeType(_ name: String, types: [String: [Field]]) throws -> String {
        var dependencies = Set<String>()
        var pending = [name]
        while let next = pending.popLast() {
            guard let fields = types[next] else { throw TypedDataError("unknown struct type \(next)") }
            for field in fields {
                let base = baseType(field.type)
                if types[base] != nil && base != name && !dependencies.contains(base) {
                    dependencies.insert(base)
                    pending.append(base)
                }
            }
        }
        return try ([name] + dependencies.sorted()).map { typeName in
            guard let fields = types[typeName] else { throw TypedDataError("unknown struct type \(typeName)") }
            return typeName + "(" + fields.map { "\($0.type) \($0.name)" }.joined(separator: ",") + ")"
        }.joined()
    }

    /// The type name with every array suffix removed.
    static func baseType(_ type: String) -> String {
        if let bracket = type.firstIndex(of: "[") { return String(type[..<bracket]) }
        return type
    }

    static func hashStruct(_ name: String, _ value: JSONValue, types: [String: [Field]]) throws -> [UInt8] {
        guard let fields = types[name] else { throw TypedDataError("unknown struct type \(name)") }
        guard let members = value.objectValue else { throw TypedDataError("\(name) value is not an object") }
        var encoded = Keccak256.hash(try encodeType(name, types: types))
        for field in fields {
            guard let member = members[field.name] else {
                throw TypedDataError("\(name).\(field.name) is missing")
            }
            encoded += try encodeField(field.type, member, types: types, path: "\(name).\(field.name)")
        }
        return Keccak256.hash(encoded)
    }

    /// One 32-byte word of `encodeData`.
    static func encodeField(_ type: String, _ value: JSONValue, types: [String: [Field]], path: String) throws -> [UInt8] {
        if type.hasSuffix("]"), let open = type.lastIndex(of: "[") {
            let element = String(type[..<open])
            let lengthText = type[type.index(after: open)..<type.index(before: type.endIndex)]
            guard let items = value.arrayValue else { throw TypedDataError("\(path) is not an array") }
            if !lengthText.isEmpty {
                guard let length = Int(lengthText), length == items.count else {
                    throw TypedDataError("\(path) must have \(lengthText) elements, has \(items.count)")
                }
            }
            var concatenated = [UInt8]()
            for (index, item) in items.enumerated() {
                concatenated += try encodeField(element, item, types: types, path: "\(path)[\(index)]")
            }
            return Keccak256.hash(concatenated)
        }
        if types[type] != nil {
            return try hashStruct(type, value, types: types)
        }
        switch type {
        case "string":
            guard let text = value.stringValue else { throw TypedDataError("\(path) is not a string") }
            return Keccak256.hash(text)
        case "bytes":
            guard let text = value.stringValue, let bytes = try? Hex.decode(text) else {
                throw TypedDataError("\(path) is not hex bytes")
            }
            return Keccak256.hash(bytes)
        default:
            let abiType: ABIType
            do { abiType = try ABIType(type) } catch { throw TypedDataError("\(path) has unknown type \(type)") }
            return try ABI.encode([try atomicValue(abiType, value, path: path)], as: [abiType])
        }
    }

    static func atomicValue(_ type: ABIType, _ value: JSONValue, path: String) throws -> ABIValue {
        switch type {
        case .address:
            guard let text = value.stringValue, let address = try? Address(text) else {
                throw TypedDataError("\(path) is not an address")
            }
            return .address(address)
        case .bool:
            guard let flag = value.boolValue else { throw TypedDataError("\(path) is not a boolean") }
            return .bool(flag)
        case .uint:
            let number = try integer(value, path: path)
            guard number.sign == .plus else { throw TypedDataError("\(path) is negative") }
            return .uint(number.magnitude)
        case .int:
            return .int(try integer(value, path: path))
        case .fixedBytes(let size):
            guard let text = value.stringValue, let bytes = try? Hex.decode(text), bytes.count == size else {
                throw TypedDataError("\(path) is not \(size) hex bytes")
            }
            return .fixedBytes(bytes)
        default:
            throw TypedDataError("\(path) has a type that is not atomic")
        }
    }

    /// Integers arrive as JSON numbers, decimal strings or `0x` hex strings.
    static func integer(_ value: JSONValue, path: String) throws -> BigInt {
        switch value {
        case .integer(let number):
            return BigInt(number)
        case .double(let number):
            guard number.rounded() == number, abs(number) < 9_007_199_254_740_992 else {
                throw TypedDataError("\(path) is not an exact integer; send large numbers as strings")
            }
            return BigInt(Int64(number))
        case .string(let text):
            if text.hasPrefix("0x") || text.hasPrefix("0X") {
                if let parsed = try? Hex.bigQuantity(text) { return BigInt(parsed) }
            } else if let parsed = BigInt(text, radix: 10) {
                return parsed
            }
            throw TypedDataError("\(path) is not an integer")
        default:
            throw TypedDataError("\(path) is not an integer")
        }
    }
}

/// Typed data that does not match its declared types.
public struct TypedDataError: Error, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "TypedDataError: \(message)" }
}
