import BigInt

/// Errors raised when parsing hexadecimal text.
public struct HexError: Error, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// A character that is not a hexadecimal digit.
        case invalidCharacter
        /// An odd number of digits where whole bytes were expected.
        case oddLength
        /// The value has the wrong number of bytes.
        case wrongLength
        /// A quantity without digits, or with more than the target type can hold.
        case invalidQuantity
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "HexError.\(self.code): \(self.message)" }
}

/// Hexadecimal text as Ethereum writes it: `0x`-prefixed, lowercase on output.
public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Encodes bytes as lowercase hex, with a `0x` prefix unless `prefix` is false.
    public static func encode(_ bytes: some Collection<UInt8>, prefix: Bool = true) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2 + 2)
        if prefix { out.append(contentsOf: [0x30, 0x78]) }
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex text with or without a `0x` prefix; an odd digit count is an error.
    public static func decode(_ text: some StringProtocol) throws -> [UInt8] {
        var utf8 = Array(text.utf8)
        if utf8.count >= 2, utf8[0] == 0x30, utf8[1] == 0x78 || utf8[1] == 0x58 {
            utf8.removeFirst(2)
        }
        guard utf8.count % 2 == 0 else {
            throw HexError(.oddLength, "hex string has an odd number of digits (\(utf8.count))")
        }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else {
                throw HexError(.invalidCharacter, "not a hex digit at position \(index)")
            }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    /// Decodes hex text that must hold exactly `count` bytes.
    public static func decode(_ text: some StringProtocol, count: Int) throws -> [UInt8] {
        let bytes = try decode(text)
        guard bytes.count == count else {
            throw HexError(.wrongLength, "expected \(count) bytes, got \(bytes.count)")
        }
        return bytes
    }

    /// Encodes an unsigned quantity the JSON-RPC way: `0x` and no leading zeros (`0x0` for zero).
    public static func quantity(_ value: BigUInt) -> String {
        value == 0 ? "0x0" : "0x" + String(value, radix: 16)
    }

    /// Encodes a 64-bit quantity the JSON-RPC way.
    public static func quantity(_ value: UInt64) -> String {
        "0x" + String(value, radix: 16)
    }

    /// Parses a JSON-RPC quantity. Leading zeros are tolerated because some nodes send them.
    public static func bigQuantity(_ text: some StringProtocol) throws -> BigUInt {
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ nibble($0) != nil }),
            let value = BigUInt(digits, radix: 16)
        else {
            throw HexError(.invalidQuantity, "not a hex quantity: \(text.prefix(80))")
        }
        return value
    }

    /// Parses a JSON-RPC quantity that must fit in 64 bits.
    public static func uint64Quantity(_ text: some StringProtocol) throws -> UInt64 {
        let value = try bigQuantity(text)
        guard value.bitWidth <= 64 else {
            throw HexError(.invalidQuantity, "quantity does not fit in 64 bits: \(text.prefix(80))")
        }
        return UInt64(value)
    }

    @inline(__always)
    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
}

extension BigUInt {
    /// The big-endian bytes of the value, without leading zeros (empty for zero).
    public var minimalBigEndianBytes: [UInt8] {
        self == 0 ? [] : [UInt8](self.serialize())
    }

    /// The value as exactly `width` big-endian bytes, or nil if it does not fit.
    public func bigEndianBytes(width: Int) -> [UInt8]? {
        let bytes = self.minimalBigEndianBytes
        guard bytes.count <= width else { return nil }
        return [UInt8](repeating: 0, count: width - bytes.count) + bytes
    }
}

extension UInt64 {
    /// The big-endian bytes of the value, without leading zeros (empty for zero).
    public var minimalBigEndianBytes: [UInt8] {
        var value = self.bigEndian
        let bytes = withUnsafeBytes(of: &value) { Array($0) }
        return Array(bytes.drop(while: { $0 == 0 }))
    }
}
