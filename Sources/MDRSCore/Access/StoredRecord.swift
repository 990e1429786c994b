import EthereumCore
import Foundation

/// A complete record's metadata, as the store keeps it.
public struct StoredRecord: Equatable, Sendable {
    public let id: Bytes32
    public let patient: Address
    public let contentType: String
    /// Plaintext size in bytes.
    public let size: Int64
    /// SHA-256 of the plaintext: what is anchored on-chain.
    public let sha256: Bytes32
    public let chunkSize: Int
    public let chunkCount: Int
    /// The id (hex) of the master key that wraps the data key.
    public let keyId: String
    package let wrappedKey: [UInt8]
    public let createdAt: Date
    /// The record's document metadata as stored: sealed under its data key (nil: none given).
    package let sealedDocument: [UInt8]?

    package init(
        id: Bytes32, patient: Address, contentType: String, size: Int64, sha256: Bytes32, chunkSize: Int, chunkCount: Int,
        keyId: String, wrappedKey: [UInt8], createdAt: Date, sealedDocument: [UInt8]? = nil
    ) {
        self.sealedDocument = sealedDocument
        self.id = id
        self.patient = patient
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
        self.chunkSize = chunkSize
        self.chunkCount = chunkCount
        self.keyId = keyId
        self.wrappedKey = wrappedKey
        self.createdAt = createdAt
    }

    /// The plaintext length of chunk `index`.
    package func plaintextLength(ofChunk index: Int) -> Int {
        index < chunkCount - 1 ? chunkSize : Int(size - Int64(chunkCount - 1) * Int64(chunkSize))
    }
}
