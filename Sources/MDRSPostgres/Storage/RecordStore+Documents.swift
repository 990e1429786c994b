import EthereumCore
import Foundation
import MDRSCore
import MDRSProtocol
import NIOCore
import PostgresNIO

extension RecordStore {
    /// The document metadata of `record`, opened with its data key; nil if it was stored
    /// without one.
    public func document(of record: StoredRecord) throws -> DocumentMetadata? {
        guard record.sealedDocument != nil else { return nil }
        return try Self.document(of: record, cipher: try cipher(for: record))
    }

    /// The document metadata of `record`, opened with its (already unwrapped) `cipher`.
    static func document(of record: StoredRecord, cipher: ChunkCipher) throws -> DocumentMetadata? {
        guard let sealed = record.sealedDocument else { return nil }
        let plaintext = try cipher.openDocument(sealed)
        do {
            return try JSONDecoder().decode(DocumentMetadata.self, from: Data(plaintext))
        } catch {
            throw GatewayError(.integrityFailure, "record \(record.id.hex)'s document opened but is not a document")
        }
    }

    /// The complete records of `patient` held here, newest first (at most `limit`), each with
    /// its document metadata opened. Shredded records are not listed: nothing is left of them
    /// to name.
    public func documents(of patient: Address, limit: Int = 500) async throws -> [(record: StoredRecord, document: DocumentMetadata?)] {
        let rows = try await client.query(
            """
            SELECT id, content_type, size, sha256, chunk_size, chunk_count, key_id, wrapped_key, created_at, document
            FROM records WHERE patient = \(ByteBuffer(bytes: patient.bytes)) AND state = \(unescaped: RecordState.complete.sql)
            ORDER BY created_at DESC, id LIMIT \(Int64(limit))
            """, logger: logger)
        var found = [StoredRecord]()
        for try await (id, contentType, size, sha256, chunkSize, chunkCount, keyId, wrappedKey, createdAt, document) in rows.decode(
            (ByteBuffer, String, Int64, ByteBuffer, Int32, Int32, String, ByteBuffer, Date, ByteBuffer?).self)
        {
            found.append(StoredRecord(
                id: try Bytes32(bytes: Array(buffer: id)), patient: patient, contentType: contentType, size: size,
                sha256: try Bytes32(bytes: Array(buffer: sha256)), chunkSize: Int(chunkSize), chunkCount: Int(chunkCount), keyId: keyId,
                wrappedKey: Array(buffer: wrappedKey), createdAt: createdAt, sealedDocument: document.map { Array(buffer: $0) }))
        }
        return try found.map { ($0, try document(of: $0)) }
    }
}
