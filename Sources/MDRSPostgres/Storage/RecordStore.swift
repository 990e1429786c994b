import Crypto
import EthereumCore
import Foundation
import Logging
import MDRSCore
import NIOCore
import PostgresNIO

/// The custodian's encrypted record store in PostgreSQL.
///
/// Every record has its own AES-256 data key, stored wrapped by the master key. Plaintext is
/// split into chunks (1 MiB by default) encrypted one by one (see ``ChunkCipher``), so uploads
/// and downloads stream with memory bounded by a couple of chunks whatever the record's size.
public struct RecordStore: Sendable {
    public typealias Configuration = GatewayConfiguration.Storage

    public let configuration: Configuration
    public let keyring: MasterKeyring
    let client: PostgresDatabase
    let logger: Logger

    public init(client: some PostgresDatabaseConvertible, keyring: MasterKeyring, configuration: Configuration = .init(), logger: Logger) {
        self.client = client.database
        self.keyring = keyring
        self.configuration = configuration
        self.logger = logger
    }

    /// The metadata of complete record `id`. Throws `recordNotFound` for unknown or unfinished
    /// records and `recordErased` for shredded ones. Also checks that the chunk rows are exactly
    /// the ones the record says it has, so an appended or dropped chunk is caught before a read.
    public func record(_ id: Bytes32) async throws -> StoredRecord {
        let rows = try await client.execute(RecordQuery(id: ByteBuffer(bytes: id.bytes)), logger: logger)
        guard let row = try await rows.first(where: { _ in true }) else {
            throw GatewayError(.recordNotFound, "record \(id.hex) does not exist")
        }
        let (patient, contentType, state, size, sha256, chunkSize, chunkCount, keyId, wrappedKey, createdAt, document, rowCount, maxIndex) = row
        switch state {
        case .shredded: throw GatewayError(.recordErased, "record \(id.hex) was erased")
        case .complete: break
        case .writing: throw GatewayError(.recordNotFound, "record \(id.hex) does not exist (its upload is not complete)")
        }
        guard let size, let sha256, let chunkCount, let wrappedKey else {
            throw GatewayError(.integrityFailure, "record \(id.hex) is complete but lacks its metadata")
        }
        guard rowCount == Int64(chunkCount), maxIndex == chunkCount - 1 else {
            throw GatewayError(
                .integrityFailure, "record \(id.hex) should have \(chunkCount) chunks but has \(rowCount) (highest index \(maxIndex.map(String.init) ?? "none"))")
        }
        return StoredRecord(
            id: id, patient: try Address(bytes: Array(buffer: patient)), contentType: contentType, size: size,
            sha256: try Bytes32(bytes: Array(buffer: sha256)), chunkSize: Int(chunkSize), chunkCount: Int(chunkCount),
            keyId: keyId, wrappedKey: Array(buffer: wrappedKey), createdAt: createdAt, sealedDocument: document.map { Array(buffer: $0) })
    }

    /// The cipher of a record's chunks: its data key unwrapped by whichever master key wrapped it.
    func cipher(for record: StoredRecord) throws -> ChunkCipher {
        let master = try keyring.key(idHex: record.keyId)
        return ChunkCipher(key: try master.unwrap(record.wrappedKey, recordId: record.id), recordId: record.id)
    }

    /// Erases a record: its wrapped data key and its chunks are deleted in one transaction; the
    /// row stays, so reads answer "erased" rather than "not found". Copies of the wrapped key in
    /// older backups and not-yet-vacuumed pages still open under the master key that wrapped
    /// it: the erasure is final once those backups age out or the data keys are re-wrapped
    /// under a new master key (`mdrs keys rotate`) and the old one is destroyed.
    ///
    /// An upload still being written is deleted whole instead (it never was a record). Its
    /// delete waits for the chunk inserts in flight, whose foreign key holds the row, and makes
    /// any later one fail: an UPDATE would not, and a chunk could outlive the erasure.
    public func shred(_ id: Bytes32) async throws {
        let idBuffer = ByteBuffer(bytes: id.bytes)
        try await client.transaction(logger: logger) { connection in
            let upload = try await connection.query(
                "DELETE FROM records WHERE id = \(idBuffer) AND state = \(unescaped: RecordState.writing.sql) RETURNING id", logger: logger
            ).collect().count
            if upload == 1 { return }
            let updated = try await connection.query(
                """
                UPDATE records SET state = \(unescaped: RecordState.shredded.sql), wrapped_key = NULL, document = NULL, shredded_at = now()
                WHERE id = \(idBuffer) AND state = \(unescaped: RecordState.complete.sql) RETURNING id
                """, logger: logger
            ).collect().count
            guard updated == 1 else {
                throw GatewayError(.recordNotFound, "record \(id.hex) does not exist or is already erased")
            }
            try await connection.query("DELETE FROM record_chunks WHERE record_id = \(idBuffer)", logger: logger)
        }
    }

    /// Deletes uploads that stopped without completing and have been idle longer than `idle`.
    @discardableResult
    public func removeAbandonedUploads(idleFor idle: Duration) async throws -> Int {
        let seconds = Double(idle.components.seconds) + Double(idle.components.attoseconds) / 1e18
        return try await client.query(
            """
            DELETE FROM records WHERE state = \(unescaped: RecordState.writing.sql)
            AND last_activity_at < now() - make_interval(secs => \(seconds)) RETURNING id
            """, logger: logger
        ).collect().count
    }
}

/// Prepared once per connection: every fetch reads its record's metadata.
struct RecordQuery: PostgresPreparedStatement {
    static let sql = """
        SELECT r.patient, r.content_type, r.state, r.size, r.sha256, r.chunk_size, r.chunk_count,
               r.key_id, r.wrapped_key, r.created_at, r.document,
               (SELECT count(*) FROM record_chunks c WHERE c.record_id = r.id),
               (SELECT max(chunk_index) FROM record_chunks c WHERE c.record_id = r.id)
        FROM records r WHERE r.id = $1
        """
    static let bindingDataTypes: [PostgresDataType] = [.bytea]
    typealias Row = (ByteBuffer, String, RecordState, Int64?, ByteBuffer?, Int32, Int32?, String, ByteBuffer?, Date, ByteBuffer?, Int64, Int32?)

    let id: ByteBuffer

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(id)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
