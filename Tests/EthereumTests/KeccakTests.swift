import EthereumCore
import Testing

@Suite("Keccak-256")
struct KeccakTests {
    @Test("matches eth-utils on every vector")
    func vectors() throws {
        for vector in try Fixture.section("keccak", "vectors") {
            let input = try vector.bytes("input")
            #expect(Hex.encode(Keccak256.hash(input)) == (try vector.string("hash")), "input of \(input.count) bytes")
        }
    }

    @Test("incremental hashing equals one-shot hashing at every split point")
    func incremental() {
        let input = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let expected = Keccak256.hash(input)
        for split in [0, 1, 135, 136, 137, 272, 300] {
            var hasher = Keccak256()
            hasher.update(input[..<split])
            hasher.update(input[split...])
            #expect(hasher.finalize() == expected)
        }
    }

    @Test("is Keccak, not NIST SHA3-256")
    func notSHA3() {
        // SHA3-256("") is a7ffc6f8…; Keccak-256("") is c5d24601…
        #expect(Hex.encode(Keccak256.hash([UInt8]())) == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
    }
}
