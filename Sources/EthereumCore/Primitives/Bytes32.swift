/// A 32-byte value: a hash, a storage word, a token, an identifier.
public struct Bytes32: Hashable, Sendable, Comparable {
    /// The 32 bytes.
    public let bytes: [UInt8]

    /// All zeros.
    public static let zero = Bytes32(unchecked: [UInt8](repeating: 0, count: 32))

    /// Wraps exactly 32 bytes.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else {
            throw HexError(.wrongLength, "expected 32 bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses 64 hex digits, with or without `0x`.
    public init(_ text: some StringProtocol) throws {
        self.init(unchecked: try Hex.decode(text, count: 32))
    }

    /// 32 bytes from the system's cryptographically secure generator.
    public static func random() -> Bytes32 {
        var generator = SystemRandomNumberGenerator()
        return Bytes32(unchecked: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// The Keccak-256 digest of `bytes`.
    public static func keccak(_ bytes: some Collection<UInt8>) -> Bytes32 {
        Bytes32(unchecked: Keccak256.hash(bytes))
    }

    /// `0x`-prefixed lowercase hex.
    public var hex: String { Hex.encode(bytes) }

    public static func < (lhs: Bytes32, rhs: Bytes32) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

extension Bytes32: CustomStringConvertible {
    public var description: String { hex }
}

extension Bytes32: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
