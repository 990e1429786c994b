import BigInt

/// A value of an ``ABIType``. Arrays and tuples hold their elements in order; the type that
/// goes with a value decides how it is encoded.
public indirect enum ABIValue: Equatable, Hashable, Sendable {
    case address(Address)
    case bool(Bool)
    case uint(BigUInt)
    case int(BigInt)
    case fixedBytes([UInt8])
    case bytes([UInt8])
    case string(String)
    case array([ABIValue])
    case tuple([ABIValue])

    /// An unsigned integer from a 64-bit value.
    public static func uint64(_ value: UInt64) -> ABIValue { .uint(BigUInt(value)) }

    /// A `bytes32` from a ``Bytes32``.
    public static func bytes32(_ value: Bytes32) -> ABIValue { .fixedBytes(value.bytes) }

    public func asAddress() throws -> Address {
        guard case .address(let value) = self else { throw mismatch("address") }
        return value
    }

    public func asBool() throws -> Bool {
        guard case .bool(let value) = self else { throw mismatch("bool") }
        return value
    }

    public func asBigUInt() throws -> BigUInt {
        guard case .uint(let value) = self else { throw mismatch("uint") }
        return value
    }

    public func asUInt64() throws -> UInt64 {
        let value = try asBigUInt()
        guard value.bitWidth <= 64 else { throw ABIError(.valueMismatch, "\(value) does not fit in 64 bits") }
        return UInt64(value)
    }

    public func asBigInt() throws -> BigInt {
        guard case .int(let value) = self else { throw mismatch("int") }
        return value
    }

    public func asBytes32() throws -> Bytes32 {
        guard case .fixedBytes(let value) = self, value.count == 32 else { throw mismatch("bytes32") }
        return try Bytes32(bytes: value)
    }

    /// The bytes of a `bytes` or `bytesN` value.
    public func asBytes() throws -> [UInt8] {
        switch self {
        case .bytes(let value), .fixedBytes(let value): return value
        default: throw mismatch("bytes")
        }
    }

    public func asString() throws -> String {
        guard case .string(let value) = self else { throw mismatch("string") }
        return value
    }

    /// The elements of an array or the members of a tuple.
    public func asArray() throws -> [ABIValue] {
        switch self {
        case .array(let values), .tuple(let values): return values
        default: throw mismatch("array or tuple")
        }
    }

    private func mismatch(_ expected: String) -> ABIError {
        ABIError(.valueMismatch, "expected \(expected), found \(self.kind)")
    }

    var kind: String {
        switch self {
        case .address: "address"
        case .bool: "bool"
        case .uint: "uint"
        case .int: "int"
        case .fixedBytes(let b): "bytes\(b.count)"
        case .bytes: "bytes"
        case .string: "string"
        case .array: "array"
        case .tuple: "tuple"
        }
    }
}
