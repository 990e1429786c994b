import BigInt

/// Why a call reverted, decoded from its revert data.
public enum RevertReason: Equatable, Sendable {
    /// No data: `revert()` or an out-of-gas or invalid opcode.
    case empty
    /// `Error(string)`: a `require` or `assert` message.
    case message(String)
    /// `Panic(uint256)`: Solidity's checked failures (overflow, division by zero...).
    case panic(BigUInt)
    /// A custom error known to the contract's ABI.
    case custom(name: String, arguments: [ABIValue])
    /// Data no known error decodes.
    case unknown([UInt8])

    static let errorString = ABICustomError(name: "Error", inputs: [ABIParameter(type: .string)])
    static let panicCode = ABICustomError(name: "Panic", inputs: [ABIParameter(type: .uint(256))])

    /// Decodes revert data against the standard errors and the given custom ones.
    public init(data: [UInt8], errors: [ABICustomError] = []) {
        guard data.count >= 4 else {
            self = data.isEmpty ? .empty : .unknown(data)
            return
        }
        let selector = Array(data.prefix(4))
        let body = Array(data.dropFirst(4))
        if selector == Self.errorString.selector,
            let values = try? ABI.decode([.string], from: body), case .string(let text) = values[0]
        {
            self = .message(text)
        } else if selector == Self.panicCode.selector,
            let values = try? ABI.decode([.uint(256)], from: body), case .uint(let code) = values[0]
        {
            self = .panic(code)
        } else if let error = errors.first(where: { $0.selector == selector }),
            let values = try? ABI.decode(error.inputs.types, from: body)
        {
            self = .custom(name: error.name, arguments: values)
        } else {
            self = .unknown(data)
        }
    }

    /// The custom error's name, if this is one.
    public var customName: String? {
        if case .custom(let name, _) = self { return name }
        return nil
    }
}

extension RevertReason: CustomStringConvertible {
    public var description: String {
        switch self {
        case .empty: return "reverted without data"
        case .message(let text): return "reverted: \(text)"
        case .panic(let code): return "panicked with code 0x\(String(code, radix: 16))"
        case .custom(let name, let arguments):
            return "\(name)(" + arguments.map(Self.render).joined(separator: ", ") + ")"
        case .unknown(let data): return "reverted with unknown data \(Hex.encode(data.prefix(68)))"
        }
    }

    static func render(_ value: ABIValue) -> String {
        switch value {
        case .address(let a): return a.checksummed
        case .bool(let b): return String(b)
        case .uint(let n): return String(n)
        case .int(let n): return String(n)
        case .fixedBytes(let b), .bytes(let b): return Hex.encode(b)
        case .string(let s): return "\"\(s)\""
        case .array(let values): return "[" + values.map(render).joined(separator: ", ") + "]"
        case .tuple(let values): return "(" + values.map(render).joined(separator: ", ") + ")"
        }
    }
}
