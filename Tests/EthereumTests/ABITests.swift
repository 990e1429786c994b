import BigInt
import EthereumCore
import Foundation
import Testing

@Suite("ABI")
struct ABITests {
    @Test("encodes and decodes every eth-abi vector")
    func vectors() throws {
        for vector in try Fixture.section("abi", "vectors") {
            let name = try vector.string("name")
            let types = try #require(vector["types"]?.arrayValue).map { try ABIType(try #require($0.stringValue)) }
            let values = try zip(types, try #require(vector["values"]?.arrayValue)).map { try $1.abiValue($0) }
            let encoded = try vector.bytes("encoded")
            #expect(try ABI.encode(values, as: types) == encoded, "\(name)")
            #expect(try ABI.decode(types, from: encoded) == values, "\(name)")
            #expect(types.map(\.canonical) == (try #require(vector["types"]?.arrayValue)).compactMap(\.stringValue).map(Self.canonicalAlias))
        }
    }

    static func canonicalAlias(_ type: String) -> String {
        type.replacingOccurrences(of: "uint[", with: "uint256[")
    }

    @Test("selectors and event topics match")
    func selectorsAndTopics() throws {
        for vector in try Fixture.section("abi", "selectors") {
            let function = try ABIFunction(signature: try vector.string("signature"))
            #expect(Hex.encode(function.selector) == (try vector.string("selector")))
            #expect(function.signature == (try vector.string("signature")))
        }
        for vector in try Fixture.section("abi", "topics") {
            let parsed = try ABIFunction(signature: try vector.string("signature"))
            let event = ABIEvent(name: parsed.name, inputs: parsed.inputs)
            #expect(event.topic.hex == (try vector.string("topic")))
        }
    }

    @Test("revert data decodes: Error(string), Panic(uint256) and custom errors")
    func reverts() throws {
        for vector in try Fixture.section("abi", "errors") {
            let kind = try vector.string("kind")
            let types = try #require(vector["types"]?.arrayValue).map { try ABIType(try #require($0.stringValue)) }
            let values = try zip(types, try #require(vector["values"]?.arrayValue)).map { try $1.abiValue($0) }
            let data = try vector.bytes("data")
            let custom = try ABICustomError(signature: kind.hasPrefix("Error(") ? "Unused()" : kind)
            let reason = RevertReason(data: data, errors: [custom])
            switch kind {
            case "Error(string)":
                #expect(reason == .message(try values[0].asString()))
            case "Panic(uint256)":
                #expect(reason == .panic(try values[0].asBigUInt()))
            default:
                #expect(reason == .custom(name: custom.name, arguments: values), "\(kind)")
                #expect(try custom.encode(values) == data)
            }
        }
        #expect(RevertReason(data: []) == .empty)
        #expect(RevertReason(data: [1, 2, 3, 4, 5]) == .unknown([1, 2, 3, 4, 5]))
    }

    @Test("event logs decode, indexed and data parts")
    func events() throws {
        for vector in try Fixture.section("abi", "events") {
            let inputs = try #require(vector["inputs"]?.arrayValue).map { input in
                ABIParameter(
                    name: try input.string("name"), type: try ABIType(try input.string("type")),
                    indexed: input["indexed"]?.boolValue == true)
            }
            let signature = try vector.string("signature")
            let event = ABIEvent(name: String(signature.prefix(while: { $0 != "(" })), inputs: inputs)
            #expect(event.signature == signature)
            let topics = try #require(vector["topics"]?.arrayValue).map { try Bytes32(try #require($0.stringValue)) }
            #expect(topics.first == event.topic)
            let decoded = try event.decode(topics: topics, data: try vector.bytes("data"))
            let values = try #require(vector["values"]?.arrayValue)
            for (index, input) in inputs.enumerated() {
                let expected = try values[index].abiValue(input.type)
                if input.indexed && input.type.isHashedWhenIndexed {
                    #expect(decoded.values[index] == .fixedBytes(try ABIEvent.topic(for: expected, as: input.type).bytes))
                } else {
                    #expect(decoded.values[index] == expected, "\(signature).\(input.name)")
                }
                if input.indexed {
                    #expect(topics.contains(try ABIEvent.topic(for: expected, as: input.type)))
                }
            }
        }
    }

    @Test("type strings parse canonically and reject nonsense")
    func typeParsing() throws {
        #expect(try ABIType("(address,bytes[])[3][]").canonical == "(address,bytes[])[3][]")
        #expect(try ABIType("uint").canonical == "uint256")
        for bad in ["uint7", "uint264", "bytes33", "bytes0", "int0", "foo", "(", "()", "uint256[", "uint256[0]", "uint256[01]", "(uint256,)"] {
            #expect(throws: ABIError.self, "\(bad)") { try ABIType(bad) }
        }
    }

    @Test("values that do not fit their type are refused")
    func encodingErrors() throws {
        #expect(throws: ABIError.self) { try ABI.encode([.uint(256)], as: [.uint(8)]) }
        #expect(throws: ABIError.self) { try ABI.encode([.int(BigInt(-129))], as: [.int(8)]) }
        #expect(throws: ABIError.self) { try ABI.encode([.fixedBytes([1])], as: [.fixedBytes(2)]) }
        #expect(throws: ABIError.self) { try ABI.encode([.array([.uint(1)])], as: [.fixedArray(.uint(256), 2)]) }
        #expect(throws: ABIError.self) { try ABI.encode([.string("x")], as: [.bytes]) }
    }

    @Test("decoding hostile bytes fails cleanly, never crashes")
    func hostileInput() throws {
        let types: [ABIType] = [try ABIType("(bytes32,address,uint8,string,bytes[])[]"), .string, try ABIType("uint256[][]")]
        let value: [ABIValue] = [
            .array([.tuple([.fixedBytes([UInt8](repeating: 1, count: 32)), .address(.zero), .uint(7), .string("purpose"), .array([.bytes([1, 2, 3])])])]),
            .string("hello"),
            .array([.array([.uint(1), .uint(2)]), .array([])]),
        ]
        let good = try ABI.encode(value, as: types)
        #expect(try ABI.decode(types, from: good) == value)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var bytes = good
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
            case 1: bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            case 2:
                let word = Int.random(in: 0..<(bytes.count / 32), using: &generator) * 32
                for i in word..<word + 32 { bytes[i] = 0xFF }
            default:
                let word = Int.random(in: 0..<(bytes.count / 32), using: &generator) * 32
                bytes[word + 31] = UInt8.random(in: 0...255, using: &generator)
                bytes[word + 30] = UInt8.random(in: 0...3, using: &generator)
            }
            _ = try? ABI.decode(types, from: bytes)
        }
        // An array length far beyond the data is refused without allocating it.
        var huge = ABI.encodeLengthPrefix(UInt64.max >> 8)
        huge = [UInt8](repeating: 0, count: 31) + [32] + huge
        #expect(throws: ABIError.self) { try ABI.decode([try ABIType("uint256[]")], from: huge) }
    }

    @Test("round-trips random nested values")
    func roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        func randomType(_ depth: Int) -> ABIType {
            let leaves: [ABIType] = [.address, .bool, .uint(8), .uint(256), .int(64), .fixedBytes(5), .fixedBytes(32), .bytes, .string]
            if depth > 2 || Int.random(in: 0..<3, using: &generator) == 0 { return leaves.randomElement(using: &generator)! }
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: return .array(randomType(depth + 1))
            case 1: return .fixedArray(randomType(depth + 1), Int.random(in: 1...3, using: &generator))
            default: return .tuple((0..<Int.random(in: 1...3, using: &generator)).map { _ in randomType(depth + 1) })
            }
        }
        func randomValue(_ type: ABIType) -> ABIValue {
            switch type {
            case .address: return .address(PrivateKey.random().address)
            case .bool: return .bool(Bool.random(using: &generator))
            case .uint(let bits): return .uint(BigUInt.randomInteger(withMaximumWidth: bits))
            case .int(let bits): return .int(BigInt(BigUInt.randomInteger(withMaximumWidth: bits - 1)) * (Bool.random() ? 1 : -1))
            case .fixedBytes(let n): return .fixedBytes(Array(Bytes32.random().bytes.prefix(n)))
            case .bytes: return .bytes(Array(Bytes32.random().bytes.prefix(Int.random(in: 0...32, using: &generator))))
            case .string: return .string(["", "a", "héllo ✓", String(repeating: "x", count: 40)].randomElement(using: &generator)!)
            case .array(let element): return .array((0..<Int.random(in: 0...3, using: &generator)).map { _ in randomValue(element) })
            case .fixedArray(let element, let count): return .array((0..<count).map { _ in randomValue(element) })
            case .tuple(let members): return .tuple(members.map(randomValue))
            }
        }
        for _ in 0..<300 {
            let types = (0..<Int.random(in: 1...3, using: &generator)).map { _ in randomType(0) }
            let values = types.map(randomValue)
            let encoded = try ABI.encode(values, as: types)
            #expect(encoded.count % 32 == 0)
            #expect(try ABI.decode(types, from: encoded) == values, "\(types)")
        }
    }
}

extension ABI {
    static func encodeLengthPrefix(_ value: UInt64) -> [UInt8] {
        BigUInt(value).bigEndianBytes(width: 32)!
    }
}
