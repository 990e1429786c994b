/// A Solidity ABI type.
public indirect enum ABIType: Equatable, Hashable, Sendable {
    case address
    case bool
    /// `uintN`, N in 8...256, a multiple of 8.
    case uint(Int)
    /// `intN`, N in 8...256, a multiple of 8.
    case int(Int)
    /// `bytesN`, N in 1...32.
    case fixedBytes(Int)
    case bytes
    case string
    /// `T[]`
    case array(ABIType)
    /// `T[k]`
    case fixedArray(ABIType, Int)
    /// `(T1,T2,...)`
    case tuple([ABIType])

    /// Parses a canonical type string such as `uint256`, `(address,bytes[])[3]` or `uint` (an
    /// alias of `uint256`).
    public init(_ text: String) throws {
        var parser = Parser(text: Array(text.utf8), position: 0)
        let type = try parser.parseType()
        guard parser.position == parser.text.count else {
            throw ABIError(.invalidType, "unexpected characters after type in \"\(text)\"")
        }
        self = type
    }

    /// Whether the encoding has a length known only at run time.
    public var isDynamic: Bool {
        switch self {
        case .bytes, .string, .array: return true
        case .fixedArray(let element, let count): return count > 0 && element.isDynamic
        case .tuple(let members): return members.contains(where: \.isDynamic)
        default: return false
        }
    }

    /// Whether an indexed event input of this type is stored as the Keccak-256 of its encoding
    /// (strings, bytes, arrays and structs) rather than as its value.
    public var isHashedWhenIndexed: Bool {
        switch self {
        case .bytes, .string, .array, .fixedArray, .tuple: return true
        default: return false
        }
    }

    /// The number of bytes this type takes in the head of an enclosing tuple.
    var headSize: Int {
        if isDynamic { return 32 }
        switch self {
        case .fixedArray(let element, let count): return element.headSize * count
        case .tuple(let members): return members.reduce(0) { $0 + $1.headSize }
        default: return 32
        }
    }

    /// The canonical spelling used in signatures.
    public var canonical: String {
        switch self {
        case .address: return "address"
        case .bool: return "bool"
        case .uint(let bits): return "uint\(bits)"
        case .int(let bits): return "int\(bits)"
        case .fixedBytes(let size): return "bytes\(size)"
        case .bytes: return "bytes"
        case .string: return "string"
        case .array(let element): return element.canonical + "[]"
        case .fixedArray(let element, let count): return element.canonical + "[\(count)]"
        case .tuple(let members): return "(" + members.map(\.canonical).joined(separator: ",") + ")"
        }
    }

    private struct Parser {
        let text: [UInt8]
        var position: Int
        var depth = 0

        mutating func parseType() throws -> ABIType {
            depth += 1
            defer { depth -= 1 }
            guard depth < 64 else { throw ABIError(.invalidType, "type nested too deeply") }
            var type: ABIType
            if position < text.count && text[position] == UInt8(ascii: "(") {
                position += 1
                var members = [ABIType]()
                if position < text.count && text[position] == UInt8(ascii: ")") {
                    throw ABIError(.invalidType, "empty tuple")
                }
                while true {
                    members.append(try parseType())
                    guard position < text.count else { throw ABIError(.invalidType, "unterminated tuple") }
                    let c = text[position]
                    position += 1
                    if c == UInt8(ascii: ")") { break }
                    guard c == UInt8(ascii: ",") else { throw ABIError(.invalidType, "expected , or ) in tuple") }
                }
                type = .tuple(members)
            } else {
                let start = position
                while position < text.count, text[position] != UInt8(ascii: "["),
                    text[position] != UInt8(ascii: ","), text[position] != UInt8(ascii: ")")
                {
                    position += 1
                }
                type = try Self.elementary(String(decoding: text[start..<position], as: UTF8.self))
            }
            while position < text.count && text[position] == UInt8(ascii: "[") {
                position += 1
                let start = position
                while position < text.count && text[position] != UInt8(ascii: "]") { position += 1 }
                guard position < text.count else { throw ABIError(.invalidType, "unterminated array") }
                let digits = String(decoding: text[start..<position], as: UTF8.self)
                position += 1
                if digits.isEmpty {
                    type = .array(type)
                } else {
                    guard let count = Int(digits), count > 0, count <= 1 << 20, digits.first != "0" else {
                        throw ABIError(.invalidType, "invalid array length \"\(digits)\"")
                    }
                    type = .fixedArray(type, count)
                }
            }
            return type
        }

        static func elementary(_ name: String) throws -> ABIType {
            switch name {
            case "address": return .address
            case "bool": return .bool
            case "bytes": return .bytes
            case "string": return .string
            case "uint": return .uint(256)
            case "int": return .int(256)
            default: break
            }
            func size(after prefix: String) -> Int? {
                guard name.hasPrefix(prefix) else { return nil }
                let digits = name.dropFirst(prefix.count)
                guard let value = Int(digits), digits.first != "0" else { return nil }
                return value
            }
            if let bits = size(after: "uint"), bits % 8 == 0, (8...256).contains(bits) { return .uint(bits) }
            if let bits = size(after: "int"), bits % 8 == 0, (8...256).contains(bits) { return .int(bits) }
            if let count = size(after: "bytes"), (1...32).contains(count) { return .fixedBytes(count) }
            throw ABIError(.invalidType, "unknown type \"\(name)\"")
        }
    }
}

extension ABIType: CustomStringConvertible {
    public var description: String { canonical }
}
