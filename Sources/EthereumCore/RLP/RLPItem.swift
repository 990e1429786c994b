import BigInt
import struct Foundation.Data

/// A value in Ethereum's Recursive Length Prefix encoding: a byte string or a list of items.
public enum RLPItem: Equatable, Sendable {
    case bytes([UInt8])
    case list([RLPItem])

    /// An unsigned integer as RLP writes it: big-endian without leading zeros (zero is empty).
    public static func uint(_ value: UInt64) -> RLPItem {
        .bytes(value.minimalBigEndianBytes)
    }

    /// An arbitrary-precision unsigned integer.
    public static func uint(_ value: BigUInt) -> RLPItem {
        .bytes(value.minimalBigEndianBytes)
    }

    /// The byte string, or an error if this is a list.
    public func asBytes() throws -> [UInt8] {
        guard case .bytes(let bytes) = self else {
            throw RLPError(.unexpectedType, "expected a byte string, found a list")
        }
        return bytes
    }

    /// The list, or an error if this is a byte string.
    public func asList() throws -> [RLPItem] {
        guard case .list(let items) = self else {
            throw RLPError(.unexpectedType, "expected a list, found a byte string")
        }
        return items
    }

    /// An integer; leading zeros are non-canonical and rejected.
    public func asBigUInt() throws -> BigUInt {
        let bytes = try asBytes()
        guard bytes.first != 0 else {
            throw RLPError(.nonCanonical, "integer with a leading zero byte")
        }
        return BigUInt(Data(bytes))
    }

    /// An integer that must fit in 64 bits.
    public func asUInt64() throws -> UInt64 {
        let value = try asBigUInt()
        guard value.bitWidth <= 64 else {
            throw RLPError(.integerOverflow, "integer does not fit in 64 bits")
        }
        return UInt64(value)
    }
}
