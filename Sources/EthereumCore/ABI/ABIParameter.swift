/// A named input or output of a function, event or error.
public struct ABIParameter: Equatable, Sendable {
    public let name: String
    public let type: ABIType
    /// For event inputs: whether the value is a topic rather than part of the data.
    public let indexed: Bool

    public init(name: String = "", type: ABIType, indexed: Bool = false) {
        self.name = name
        self.type = type
        self.indexed = indexed
    }
}

extension Array where Element == ABIParameter {
    var types: [ABIType] { map(\.type) }
    var signatureList: String { map(\.type.canonical).joined(separator: ",") }
}

/// Splits `name(type,type)` into its name and parameter types.
func parseSignature(_ signature: String) throws -> (name: String, types: [ABIType]) {
    guard let open = signature.firstIndex(of: "("), signature.hasSuffix(")") else {
        throw ABIError(.invalidType, "not a signature: \"\(signature)\"")
    }
    let name = String(signature[..<open])
    guard !name.isEmpty else { throw ABIError(.invalidType, "signature without a name: \"\(signature)\"") }
    let list = String(signature[open...])
    if list == "()" { return (name, []) }
    guard case .tuple(let types) = try ABIType(list) else {
        throw ABIError(.invalidType, "not a signature: \"\(signature)\"")
    }
    return (name, types)
}
