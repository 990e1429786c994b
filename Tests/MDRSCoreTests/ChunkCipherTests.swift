import Crypto
import EthereumCore
import Foundation
@testable import MDRSCore
import Testing

@Suite("Chunk cipher")
struct ChunkCipherTests {
    /// Opens `sealed` with OpenSSL into a buffer of exactly the plaintext's length.
    static func openWithOpenSSL(_ cipher: ChunkCipher, _ sealed: [UInt8], index: Int, isLast: Bool) throws -> [UInt8] {
        var plaintext = [UInt8](repeating: 0xAA, count: max(0, sealed.count - 16))
        let written = try sealed.withUnsafeBytes { input in
            try plaintext.withUnsafeMutableBytes { output in try cipher.open(input, into: output, index: index, isLast: isLast) }
        }
        #expect(written == plaintext.count)
        return plaintext
    }

    @Test("OpenSSL opens what swift-crypto seals, at every size, as the Data-based open does")
    func interoperates() throws {
        let cipher = ChunkCipher(key: SymmetricKey(size: .bits256), recordId: Bytes32.random())
        for size in [0, 1, 15, 16, 17, 4096, (1 << 20) + 3] {
            let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            for (index, isLast) in [(0, false), (0, true), (41, true), (1 << 40, false)] {
                let sealed = Array(try cipher.seal(plaintext, index: index, isLast: isLast))
                #expect(sealed.count == size + 16)
                #expect(try Self.openWithOpenSSL(cipher, sealed, index: index, isLast: isLast) == plaintext, "size \(size)")
                #expect(Array(try cipher.open(sealed, index: index, isLast: isLast)) == plaintext)
            }
        }
    }

    @Test("a flipped bit, another position, the other flag, another record or key, or a short buffer: refused")
    func refusesTampering() throws {
        let key = SymmetricKey(size: .bits256), record = Bytes32.random()
        let cipher = ChunkCipher(key: key, recordId: record)
        let plaintext = Array("a chunk of a record, opened only where it was sealed".utf8)
        let sealed = Array(try cipher.seal(plaintext, index: 3, isLast: false))
        func refused(_ cipher: ChunkCipher, _ sealed: [UInt8], index: Int = 3, isLast: Bool = false, _ what: String) {
            #expect(throws: GatewayError.self, "\(what)") { _ = try Self.openWithOpenSSL(cipher, sealed, index: index, isLast: isLast) }
        }
        for position in [0, plaintext.count - 1, plaintext.count, sealed.count - 1] {
            var tampered = sealed
            tampered[position] ^= 0x01
            refused(cipher, tampered, "bit flipped at \(position)")
        }
        refused(cipher, sealed, index: 4, "another index")
        refused(cipher, sealed, isLast: true, "the last flag")
        refused(ChunkCipher(key: key, recordId: Bytes32.random()), sealed, "another record")
        refused(ChunkCipher(key: SymmetricKey(size: .bits256), recordId: record), sealed, "another key")
        refused(cipher, Array(sealed.prefix(15)), "shorter than a tag")
        refused(cipher, Array(sealed.dropLast()), "the tag cut short")
        refused(ChunkCipher(key: SymmetricKey(size: .bits128), recordId: record), sealed, "a 128-bit key")
        var small = [UInt8](repeating: 0, count: plaintext.count - 1)
        #expect(throws: GatewayError.self) {
            _ = try sealed.withUnsafeBytes { input in
                try small.withUnsafeMutableBytes { try cipher.open(input, into: $0, index: 3, isLast: false) }
            }
        }
    }
}
