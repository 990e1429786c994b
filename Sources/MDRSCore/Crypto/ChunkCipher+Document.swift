import Crypto
import EthereumCore
import protocol Foundation.DataProtocol

extension ChunkCipher {
    /// The sealed form of a record's document metadata (nonce ‖ ciphertext ‖ tag), under the
    /// record's data key: one key for all that the record is, so shredding the key erases the
    /// metadata with the content.
    ///
    /// Its nonce is one no chunk can have (a chunk's is its index and a 0 or 1 flag; this one's
    /// flag is 2), and the metadata is sealed once per key, so no nonce repeats. Its additional
    /// data names the record, so a sealed document opens only as its own record's.
    package func sealDocument(_ plaintext: some DataProtocol) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: key, nonce: try Self.documentNonce(), authenticating: documentContext)
        guard let combined = box.combined else {
            throw GatewayError(.integrityFailure, "record \(recordId.hex)'s document has no combined form")
        }
        return Array(combined)
    }

    /// The plaintext of ``sealDocument(_:)``'s output.
    package func openDocument(_ sealed: [UInt8]) throws -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            guard Array(box.nonce) == Array(try Self.documentNonce()) else { throw GatewayError(.integrityFailure, "") }
            return Array(try AES.GCM.open(box, using: key, authenticating: documentContext))
        } catch {
            throw GatewayError(.integrityFailure, "record \(recordId.hex)'s document failed authentication")
        }
    }

    private static func documentNonce() throws -> AES.GCM.Nonce {
        try AES.GCM.Nonce(data: [UInt8](repeating: 0xFF, count: 8) + [0, 0, 0, 2])
    }

    private var documentContext: [UInt8] { Array("mdrs/document/v1".utf8) + recordId.bytes }
}
