import EthereumCore
import Testing

@Suite("RLP")
struct RLPTests {
    static func item(_ value: JSONValue) throws -> RLPItem {
        if let text = value.stringValue { return .bytes(try Hex.decode(text)) }
        return .list(try #require(value.arrayValue).map(item))
    }

    @Test("encodes and decodes every pyrlp vector")
    func vectors() throws {
        for vector in try Fixture.section("rlp", "vectors") {
            let item = try Self.item(try #require(vector["value"]))
            let encoded = try vector.bytes("encoded")
            #expect(item.encoded() == encoded, "\(vector.label)")
            #expect(try RLPItem(decoding: encoded) == item, "\(vector.label)")
        }
    }

    @Test("rejects every non-canonical or truncated input")
    func invalid() throws {
        for vector in try Fixture.section("rlp", "invalid") {
            #expect(throws: RLPError.self, "\(vector.label)") {
                try RLPItem(decoding: try vector.bytes("encoded"))
            }
        }
    }

    @Test("refuses hostile nesting depth without crashing")
    func depth() {
        let deep = [UInt8](repeating: 0xC1, count: 10_000) + [0xC0]
        #expect(throws: RLPError.self) { try RLPItem(decoding: deep) }
    }

    @Test("round-trips random trees")
    func roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        func random(depth: Int) -> RLPItem {
            if depth > 4 || Bool.random(using: &generator) {
                let length = [0, 1, 1, 2, 55, 56, 300].randomElement(using: &generator)!
                return .bytes((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            }
            return .list((0..<Int.random(in: 0...6, using: &generator)).map { _ in random(depth: depth + 1) })
        }
        for _ in 0..<500 {
            let item = random(depth: 0)
            #expect(try RLPItem(decoding: item.encoded()) == item)
        }
    }

    @Test("integers: minimal encoding, leading zeros refused")
    func integers() throws {
        #expect(RLPItem.uint(0 as UInt64).encoded() == [0x80])
        #expect(RLPItem.uint(15 as UInt64).encoded() == [0x0F])
        #expect(RLPItem.uint(1024 as UInt64).encoded() == [0x82, 0x04, 0x00])
        #expect(throws: RLPError.self) { try RLPItem.bytes([0, 1]).asUInt64() }
        #expect(throws: RLPError.self) { try RLPItem.bytes([1, 0, 0, 0, 0, 0, 0, 0, 0]).asUInt64() }
    }
}
