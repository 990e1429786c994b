/// A 20-byte Ethereum account address. Prints in EIP-55 mixed-case checksum form.
public struct Address: Hashable, Sendable, Comparable {
    /// The 20 address bytes.
    public let bytes: [UInt8]

    /// The zero address.
    public static let zero = Address(unchecked: [UInt8](repeating: 0, count: 20))

    /// Wraps exactly 20 bytes.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == 20 else {
            throw HexError(.wrongLength, "an address has 20 bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses `0x`-prefixed hex. All-lowercase or all-uppercase is accepted as is; mixed case
    /// must carry a valid EIP-55 checksum, because mixed case is a claim that it does.
    public init(_ text: some StringProtocol) throws {
        let string = String(text)
        guard string.hasPrefix("0x") || string.hasPrefix("0X") else {
            throw HexError(.invalidCharacter, "an address starts with 0x")
        }
        let bytes = try Hex.decode(string, count: 20)
        self.init(unchecked: bytes)
        let body = string.dropFirst(2)
        let hasLower = body.contains(where: { $0.isLowercase })
        let hasUpper = body.contains(where: { $0.isUppercase })
        if hasLower && hasUpper && "0x" + body != self.checksummed {
            throw HexError(.invalidCharacter, "address fails its EIP-55 checksum: \(string)")
        }
    }

    /// The EIP-55 checksummed form.
    public var checksummed: String {
        let lower = Hex.encode(bytes, prefix: false)
        let hash = Keccak256.hash(Array(lower.utf8))
        var out = "0x"
        for (index, character) in lower.enumerated() {
            let nibble = (hash[index / 2] >> (index % 2 == 0 ? 4 : 0)) & 0x0F
            out.append(nibble >= 8 ? Character(character.uppercased()) : character)
        }
        return out
    }

    /// The lowercase hex form.
    public var lowercased: String { Hex.encode(bytes) }

    public static func < (lhs: Address, rhs: Address) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

extension Address: CustomStringConvertible {
    public var description: String { checksummed }
}

extension Address: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(checksummed)
    }
}
