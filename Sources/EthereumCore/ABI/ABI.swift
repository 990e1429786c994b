import BigInt
import struct Foundation.Data

/// The Solidity contract ABI encoding, as Vyper also writes it.
public enum ABI {
    /// Encodes `values` as the tuple of `types` (a call's arguments, a function's results).
    public static func encode(_ values: [ABIValue], as types: [ABIType]) throws -> [UInt8] {
        guard values.count == types.count else {
            throw ABIError(.valueMismatch, "\(values.count) values for \(types.count) types")
        }
        var encoder = Encoder()
        return try encoder.tuple(types, values)
    }

    /// Decodes `data` as the tuple of `types`. Every offset and length is bounds-checked;
    /// padding and integer ranges are checked strictly.
    public static func decode(_ types: [ABIType], from data: [UInt8]) throws -> [ABIValue] {
        var decoder = Decoder(data: data)
        return try decoder.tuple(types, at: 0)
    }

    /// A 32-byte big-endian word from an unsigned value.
    static func word(_ value: BigUInt) -> [UInt8]? {
        value.bigEndianBytes(width: 32)
    }

    static func word(_ value: Int) -> [UInt8] {
        BigUInt(value).bigEndianBytes(width: 32)!
    }

    private static let twoTo256 = BigInt(1) << 256

    struct Encoder {
        mutating func tuple(_ types: [ABIType], _ values: [ABIValue]) throws -> [UInt8] {
            guard types.count == values.count else {
                throw ABIError(.valueMismatch, "\(values.count) values for \(types.count) members")
            }
            let headLength = types.reduce(0) { $0 + $1.headSize }
            var head = [UInt8]()
            var tail = [UInt8]()
            head.reserveCapacity(headLength)
            for (type, value) in zip(types, values) {
                if type.isDynamic {
                    head += ABI.word(headLength + tail.count)
                    tail += try self.value(type, value)
                } else {
                    head += try self.value(type, value)
                }
            }
            return head + tail
        }

        mutating func value(_ type: ABIType, _ value: ABIValue) throws -> [UInt8] {
            switch (type, value) {
            case (.address, .address(let address)):
                return [UInt8](repeating: 0, count: 12) + address.bytes
            case (.bool, .bool(let flag)):
                return ABI.word(flag ? 1 : 0)
            case (.uint(let bits), .uint(let number)):
                guard number.bitWidth <= bits, let word = ABI.word(number) else {
                    throw ABIError(.valueMismatch, "\(number) does not fit in uint\(bits)")
                }
                return word
            case (.int(let bits), .int(let number)):
                let limit = BigInt(1) << (bits - 1)
                guard number >= -limit && number < limit else {
                    throw ABIError(.valueMismatch, "\(number) does not fit in int\(bits)")
                }
                let unsigned = number < 0 ? ABI.twoTo256 + number : number
                return ABI.word(BigUInt(unsigned))!
            case (.fixedBytes(let size), .fixedBytes(let bytes)):
                guard bytes.count == size else {
                    throw ABIError(.valueMismatch, "\(bytes.count) bytes for bytes\(size)")
                }
                return bytes + [UInt8](repeating: 0, count: 32 - size)
            case (.bytes, .bytes(let bytes)):
                return Self.dynamicBytes(bytes)
            case (.string, .string(let text)):
                return Self.dynamicBytes(Array(text.utf8))
            case (.array(let element), .array(let values)):
                return ABI.word(values.count) + (try tuple(Array(repeating: element, count: values.count), values))
            case (.fixedArray(let element, let count), .array(let values)):
                guard values.count == count else {
                    throw ABIError(.valueMismatch, "\(values.count) elements for \(type.canonical)")
                }
                return try tuple(Array(repeating: element, count: count), values)
            case (.tuple(let members), .tuple(let values)):
                return try tuple(members, values)
            default:
                throw ABIError(.valueMismatch, "a \(value.kind) value cannot encode as \(type.canonical)")
            }
        }

        static func dynamicBytes(_ bytes: [UInt8]) -> [UInt8] {
            let padding = (32 - bytes.count % 32) % 32
            return ABI.word(bytes.count) + bytes + [UInt8](repeating: 0, count: padding)
        }
    }

    struct Decoder {
        let data: [UInt8]
        /// Bounds the work an adversarial encoding can cause (offsets may alias, so one word
        /// could otherwise be decoded many times over).
        var budget: Int

        init(data: [UInt8]) {
            self.data = data
            self.budget = 2 * (data.count / 32) + 16
        }

        mutating func tuple(_ types: [ABIType], at base: Int) throws -> [ABIValue] {
            var values = [ABIValue]()
            values.reserveCapacity(types.count)
            var position = base
            for type in types {
                if type.isDynamic {
                    let offset = try readLength(at: position, what: "offset")
                    guard offset <= data.count - base else {
                        throw ABIError(.invalidOffset, "offset \(offset) at \(position) points outside the data")
                    }
                    values.append(try value(type, at: base + offset))
                } else {
                    values.append(try value(type, at: position))
                }
                position += type.headSize
            }
            return values
        }

        mutating func value(_ type: ABIType, at position: Int) throws -> ABIValue {
            budget -= 1
            guard budget >= 0 else { throw ABIError(.tooLarge, "encoding expands beyond its size") }
            switch type {
            case .address:
                let word = try read(at: position)
                guard word[0..<12].allSatisfy({ $0 == 0 }) else {
                    throw ABIError(.invalidPadding, "address with non-zero high bytes at \(position)")
                }
                return .address(Address(unchecked: Array(word[12...])))
            case .bool:
                let number = BigUInt(Data(try read(at: position)))
                guard number <= 1 else { throw ABIError(.invalidPadding, "bool is neither 0 nor 1 at \(position)") }
                return .bool(number == 1)
            case .uint(let bits):
                let number = BigUInt(Data(try read(at: position)))
                guard number.bitWidth <= bits else {
                    throw ABIError(.invalidPadding, "value exceeds uint\(bits) at \(position)")
                }
                return .uint(number)
            case .int(let bits):
                let unsigned = BigInt(BigUInt(Data(try read(at: position))))
                let number = unsigned >= (BigInt(1) << 255) ? unsigned - ABI.twoTo256 : unsigned
                let limit = BigInt(1) << (bits - 1)
                guard number >= -limit && number < limit else {
                    throw ABIError(.invalidPadding, "value exceeds int\(bits) at \(position)")
                }
                return .int(number)
            case .fixedBytes(let size):
                let word = try read(at: position)
                guard word[size...].allSatisfy({ $0 == 0 }) else {
                    throw ABIError(.invalidPadding, "bytes\(size) with non-zero padding at \(position)")
                }
                return .fixedBytes(Array(word[..<size]))
            case .bytes:
                return .bytes(try dynamicBytes(at: position))
            case .string:
                let bytes = try dynamicBytes(at: position)
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw ABIError(.valueMismatch, "string at \(position) is not valid UTF-8")
                }
                return .string(text)
            case .array(let element):
                let count = try readLength(at: position, what: "array length")
                let available = data.count - position - 32
                guard count <= available / max(element.headSize, 32) else {
                    throw ABIError(.truncated, "array of \(count) elements at \(position) exceeds the data")
                }
                return .array(try tuple(Array(repeating: element, count: count), at: position + 32))
            case .fixedArray(let element, let count):
                guard count <= (data.count - position) / 32 else {
                    throw ABIError(.truncated, "\(type.canonical) at \(position) exceeds the data")
                }
                return .array(try tuple(Array(repeating: element, count: count), at: position))
            case .tuple(let members):
                return .tuple(try tuple(members, at: position))
            }
        }

        private func read(at position: Int) throws -> [UInt8] {
            guard position >= 0, position <= data.count - 32 else {
                throw ABIError(.truncated, "needs 32 bytes at \(position), data has \(data.count)")
            }
            return Array(data[position..<position + 32])
        }

        private func readLength(at position: Int, what: String) throws -> Int {
            let word = try read(at: position)
            guard word[0..<24].allSatisfy({ $0 == 0 }) else {
                throw ABIError(.invalidOffset, "\(what) at \(position) is too large")
            }
            let value = word[24...].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard value <= UInt64(data.count) else {
                throw ABIError(.invalidOffset, "\(what) \(value) at \(position) exceeds the data")
            }
            return Int(value)
        }

        private func dynamicBytes(at position: Int) throws -> [UInt8] {
            let length = try readLength(at: position, what: "length")
            let start = position + 32
            let padded = (length + 31) / 32 * 32
            guard padded <= data.count - start else {
                throw ABIError(.truncated, "\(length) bytes at \(position) exceed the data")
            }
            guard data[(start + length)..<(start + padded)].allSatisfy({ $0 == 0 }) else {
                throw ABIError(.invalidPadding, "non-zero padding after bytes at \(position)")
            }
            return Array(data[start..<start + length])
        }
    }
}
