import BigInt
import EthereumCore
import Foundation
import Testing

/// The reference vectors written by `Tests/vectors/generate.py` from eth-account, eth-abi,
/// eth-utils and rlp.
enum Fixture {
    static func load(_ name: String) throws -> JSONValue {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url))
    }

    static func section(_ file: String, _ section: String) throws -> [JSONValue] {
        let vectors = try #require(try load(file)[section]?.arrayValue, "\(file) has no \(section)")
        #expect(!vectors.isEmpty)
        return vectors
    }
}

extension JSONValue {
    func string(_ key: String) throws -> String {
        try #require(self[key]?.stringValue, "missing \(key)")
    }

    func bytes(_ key: String) throws -> [UInt8] {
        try Hex.decode(try string(key))
    }

    func big(_ key: String) throws -> BigUInt {
        let text = try string(key)
        return try #require(BigUInt(text, radix: 10), "\(key) is not a decimal integer")
    }

    func uint64(_ key: String) throws -> UInt64 {
        let text = try string(key)
        return try #require(UInt64(text), "\(key) is not a 64-bit integer")
    }

    func address(_ key: String) throws -> Address? {
        guard let text = self[key]?.stringValue else { return nil }
        return try Address(text)
    }

    /// Converts a fixture value to an ABI value of `type`.
    func abiValue(_ type: ABIType) throws -> ABIValue {
        switch type {
        case .address: return .address(try Address(try #require(stringValue)))
        case .bool: return .bool(try #require(boolValue))
        case .uint:
            let text = try #require(stringValue)
            return .uint(try #require(BigUInt(text, radix: 10)))
        case .int:
            let text = try #require(stringValue)
            return .int(try #require(BigInt(text, radix: 10)))
        case .fixedBytes: return .fixedBytes(try Hex.decode(try #require(stringValue)))
        case .bytes: return .bytes(try Hex.decode(try #require(stringValue)))
        case .string: return .string(try #require(stringValue))
        case .array(let element), .fixedArray(let element, _):
            return .array(try #require(arrayValue).map { try $0.abiValue(element) })
        case .tuple(let members):
            let items = try #require(arrayValue)
            return .tuple(try zip(members, items).map { try $1.abiValue($0) })
        }
    }
}

extension BigUInt {
    var word: [UInt8] { bigEndianBytes(width: 32)! }
}

extension JSONValue {
    /// The vector's name, for failure messages.
    var label: String { self["name"]?.stringValue ?? "unnamed vector" }
}
