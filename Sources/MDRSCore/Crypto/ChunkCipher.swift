import Crypto
import EthereumCore
import struct Foundation.Data
import protocol Foundation.DataProtocol

/// Encrypts and decrypts one record's chunks with its data key (AES-256-GCM).
///
/// The nonce is the chunk index and a "last chunk" flag; the additional data repeats both and
/// adds the record id. A chunk therefore opens only at its own position in its own record, and
/// only the true final chunk opens as final: swapped, reordered, dropped, truncated or appended
/// chunk sequences all fail to decrypt. Nonces never repeat because every record has a fresh
/// key and each index is encrypted once.
package struct ChunkCipher: Sendable {
    let key: SymmetricKey
    package let recordId: Bytes32

    package init(key: SymmetricKey, recordId: Bytes32) {
        self.key = key
        self.recordId = recordId
    }

    package static let tagSize = 16

    /// Ciphertext ‖ tag of a chunk: the sealed box's own bytes after its 12-byte nonce (which
    /// is derived from the index, so not stored), without copying them.
    package func seal(_ plaintext: some DataProtocol, index: Int, isLast: Bool) throws -> Data {
        let box = try AES.GCM.seal(plaintext, using: key, nonce: try nonce(index, isLast), authenticating: context(index, isLast))
        guard let combined = box.combined else {
            throw GatewayError(.integrityFailure, "record \(recordId.hex) chunk \(index) has no combined form")
        }
        return combined.dropFirst(Self.nonceSize)
    }

    static let nonceSize = 12

    /// The plaintext of a sealed chunk, as AES-GCM returns it (no further copy: a chunk is up to
    /// a megabyte, and the read path copies it once more, into the response's buffer).
    package func open<Sealed: RandomAccessCollection<UInt8>>(_ sealed: Sealed, index: Int, isLast: Bool) throws -> Data
    where Sealed.SubSequence: DataProtocol {
        guard sealed.count >= Self.tagSize else {
            throw GatewayError(.integrityFailure, "record \(recordId.hex) chunk \(index) is shorter than its tag")
        }
        do {
            let split = sealed.index(sealed.endIndex, offsetBy: -Self.tagSize)
            let box = try AES.GCM.SealedBox(
                nonce: try nonce(index, isLast), ciphertext: sealed[sealed.startIndex..<split], tag: sealed[split...])
            return try AES.GCM.open(box, using: key, authenticating: context(index, isLast))
        } catch {
            throw GatewayError(.integrityFailure, "record \(recordId.hex) chunk \(index) failed authentication")
        }
    }

    private func nonce(_ index: Int, _ isLast: Bool) throws -> AES.GCM.Nonce {
        try AES.GCM.Nonce(data: nonceBytes(index, isLast))
    }

    /// The chunk's 12-byte nonce: its index (big-endian) and the "last chunk" flag.
    func nonceBytes(_ index: Int, _ isLast: Bool) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.nonceSize)
        withUnsafeBytes(of: UInt64(index).bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [0, 0, 0, isLast ? 1 : 0])
        return bytes
    }

    /// The chunk's additional data: the format's label, the record id, the index and the flag.
    func context(_ index: Int, _ isLast: Bool) -> [UInt8] {
        var bytes = Array("mdrs/chunk/v1".utf8) + recordId.bytes
        withUnsafeBytes(of: UInt64(index).bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(isLast ? 1 : 0)
        return bytes
    }
}
