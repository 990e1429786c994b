import Crypto
import EthereumCore
import Foundation
import MDRSCore
import NIOCore
import PostgresNIO

extension RecordStore {
    /// Stores a record streamed from `body`, whose total length need not be known.
    ///
    /// Encrypts and inserts chunk by chunk while hashing the plaintext; the size limit is
    /// enforced as bytes arrive. The last chunk and the switch to `complete` commit together,
    /// so the record becomes visible only when all of it is in. If `body` fails, the task is
    /// cancelled or the limit is exceeded, the partial record is deleted (and if even that
    /// fails, ``removeAbandonedUploads(idleFor:)`` removes it later).
    ///
    /// With `expectedSHA256`, a body whose hash differs is refused before anything becomes
    /// visible. `onComplete` runs inside the transaction that completes the record (the gateway
    /// queues the on-chain anchor there, so a record is never complete without its anchor).
    public func write<Body: AsyncSequence>(
        patient: Address, contentType: String, body: Body, recordId: Bytes32 = .random(),
        expectedSHA256: Bytes32? = nil, document: [UInt8]? = nil,
        onComplete: (@Sendable (PostgresConnection, Bytes32) async throws -> Void)? = nil
    ) async throws -> StoredRecord where Body.Element == ByteBuffer {
        guard !contentType.isEmpty, contentType.utf8.count <= 255 else {
            throw GatewayError(.invalidContentType, "a record needs a content type of 1 to 255 bytes")
        }
        let dataKey = SymmetricKey(size: .bits256)
        let master = keyring.current
        let wrappedKey = try master.wrap(dataKey, recordId: recordId)
        let idBuffer = ByteBuffer(bytes: recordId.bytes)
        let cipher = ChunkCipher(key: dataKey, recordId: recordId)
        let sealedDocument = try document.map { try cipher.sealDocument($0) }
        try await client.query(
            """
            INSERT INTO records (id, patient, content_type, state, chunk_size, key_id, wrapped_key, document)
            VALUES (\(idBuffer), \(ByteBuffer(bytes: patient.bytes)), \(contentType), 'writing',
                    \(Int32(configuration.chunkSize)), \(master.idHex), \(ByteBuffer(bytes: wrappedKey)),
                    \(sealedDocument.map { ByteBuffer(bytes: $0) }))
            """, logger: logger)

        var writer = ChunkWriter(store: self, cipher: cipher, idBuffer: idBuffer)
        do {
            for try await piece in body {
                try Task.checkCancellation()
                try await writer.append(piece)
            }
            try Task.checkCancellation()
            let (size, sha256, chunkCount) = try await writer.finish(expectedSHA256: expectedSHA256, onComplete: onComplete)
            logger.debug("record stored", metadata: ["record": "\(recordId.hex)", "bytes": "\(size)", "chunks": "\(chunkCount)"])
            return StoredRecord(
                id: recordId, patient: patient, contentType: contentType, size: size, sha256: sha256,
                chunkSize: configuration.chunkSize, chunkCount: chunkCount, keyId: master.idHex, wrappedKey: wrappedKey,
                createdAt: Date(), sealedDocument: sealedDocument)
        } catch {
            // The chunk insert still in flight ends first, so the delete is the last word.
            await writer.abandon()
            // Not a child of this (possibly cancelled) task, so the delete still runs.
            let cleanup = Task { [client, logger] in
                try await client.query("DELETE FROM records WHERE id = \(idBuffer) AND state = \(unescaped: RecordState.writing.sql)", logger: logger)
            }
            if case .failure(let cleanupError) = await cleanup.result {
                logger.warning(
                    "could not remove an interrupted upload; the janitor will",
                    metadata: ["record": "\(recordId.hex)", "error": "\(cleanupError)"])
            }
            throw error
        }
    }
}

/// Cuts a byte stream into chunks, holding back one full chunk until it is known whether more
/// data follows (only then is it known whether that chunk is the last).
private struct ChunkWriter {
    let store: RecordStore
    let cipher: ChunkCipher
    let idBuffer: ByteBuffer
    var hasher = SHA256()
    var total: Int64 = 0
    var index = 0
    var filling: ByteBuffer
    var held: ByteBuffer?
    /// The inserts of the previous chunks, oldest first: they run while the next chunk arrives
    /// and is sealed, at most ``depth`` at a time (so memory holds at most that many chunks more).
    var inflight = [Task<Void, any Error>]()
    /// Three, measured: 1 GiB uploads at 0.73× `COPY`'s rate with one, 0.77× with two and
    /// 1.0–1.1× with three (four adds memory for little more; docs/benchmarks.md).
    static let depth = 3
    /// How often an upload marks itself alive; far inside the janitor's idle bound.
    static let heartbeat = Duration.seconds(5)
    var lastHeartbeat: ContinuousClock.Instant?

    init(store: RecordStore, cipher: ChunkCipher, idBuffer: ByteBuffer) {
        self.store = store
        self.cipher = cipher
        self.idBuffer = idBuffer
        self.filling = ByteBufferAllocator().buffer(capacity: store.configuration.chunkSize)
    }

    var chunkSize: Int { store.configuration.chunkSize }

    mutating func append(_ piece: ByteBuffer) async throws {
        total += Int64(piece.readableBytes)
        guard total <= store.configuration.maximumRecordSize else {
            throw GatewayError(
                .recordTooLarge, "the record exceeds the limit of \(store.configuration.maximumRecordSize) bytes")
        }
        piece.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        var piece = piece
        while piece.readableBytes > 0 {
            let take = min(chunkSize - filling.readableBytes, piece.readableBytes)
            var slice = piece.readSlice(length: take)!
            filling.writeBuffer(&slice)
            if filling.readableBytes == chunkSize {
                if let previous = held {
                    try await insert(previous, isLast: false)
                }
                held = filling
                filling = ByteBufferAllocator().buffer(capacity: chunkSize)
            }
        }
    }

    /// Inserts the final chunk and completes the record in one transaction.
    mutating func finish(
        expectedSHA256: Bytes32?, onComplete: (@Sendable (PostgresConnection, Bytes32) async throws -> Void)?
    ) async throws -> (Int64, Bytes32, Int) {
        var last = filling
        if filling.readableBytes == 0, let previous = held {
            last = previous
        } else if let previous = held {
            try await insert(previous, isLast: false)
        }
        held = nil
        try await drain()
        let sealed = try cipher.seal(last.readableBytesView, index: index, isLast: true)
        let sha256 = try Bytes32(bytes: Array(hasher.finalize()))
        if let expectedSHA256, expectedSHA256 != sha256 {
            throw GatewayError(.contentHashMismatch, "the body's SHA-256 is \(sha256.hex), the request declared \(expectedSHA256.hex)")
        }
        let recordId = cipher.recordId
        let chunkCount = index + 1
        let (idBuffer, size, lastIndex, logger) = (idBuffer, total, index, store.logger)
        try await store.client.transaction(logger: logger) { connection in
            // The record row, locked: this waits for every chunk insert whose foreign key still holds
            // it (an insert answers before its commit), and keeps the janitor and a shred out.
            let writing = try await connection.query(
                """
                SELECT (SELECT count(*) FROM record_chunks WHERE record_id = r.id), (SELECT max(chunk_index) FROM record_chunks WHERE record_id = r.id)
                FROM records r WHERE r.id = \(idBuffer) AND r.state = \(unescaped: RecordState.writing.sql) FOR UPDATE OF r
                """, logger: logger
            ).decode((Int64, Int32?).self).first(where: { _ in true })
            guard let (stored, highest) = writing else {
                throw GatewayError(.recordNotFound, "the upload of record \(recordId.hex) was removed before it completed")
            }
            // Every earlier chunk committed, once each: an insert that answered but did not commit
            // (a backend lost at its commit) must not leave a complete record with a hole.
            guard stored == Int64(lastIndex), (highest.map(Int.init) ?? -1) == lastIndex - 1 else {
                throw GatewayError(
                    .integrityFailure, "the upload of record \(recordId.hex) has \(stored) of its \(lastIndex) earlier chunks stored; not completed")
            }
            try await connection.query(
                """
                INSERT INTO record_chunks (record_id, chunk_index, ciphertext)
                VALUES (\(idBuffer), \(Int32(lastIndex)), \(ByteBuffer(bytes: sealed)))
                """, logger: logger)
            let completed = try await connection.query(
                """
                UPDATE records SET state = \(unescaped: RecordState.complete.sql), size = \(size), sha256 = \(ByteBuffer(bytes: sha256.bytes)),
                    chunk_count = \(Int32(chunkCount)), completed_at = now(), last_activity_at = now()
                WHERE id = \(idBuffer) AND state = \(unescaped: RecordState.writing.sql) RETURNING id
                """, logger: logger
            ).collect().count
            guard completed == 1 else {
                throw GatewayError(.recordNotFound, "the upload of record \(recordId.hex) was removed before it completed")
            }
            try await onComplete?(connection, sha256)
        }
        return (total, sha256, chunkCount)
    }

    /// Waits for the inserts in flight, whatever their outcome (the upload is failing already;
    /// their errors are most likely the same cause, and are logged at debug level).
    mutating func abandon() async {
        for task in inflight {
            if case .failure(let error) = await task.result {
                store.logger.debug("a chunk insert of an abandoned upload failed too", metadata: ["error": "\(ErrorDescription.text(error))"])
            }
        }
        inflight.removeAll()
    }

    /// Waits for every insert in flight (all of them, so none outlives a failure), then throws
    /// the first failure.
    private mutating func drain() async throws {
        var results = [Result<Void, any Error>]()
        for task in inflight { results.append(await task.result) }
        inflight.removeAll()
        for result in results { try result.get() }
    }

    /// One chunk, sealed and inserted in the background while the next one arrives (up to
    /// ``depth`` inserts at a time, each in its own statement and commit).
    ///
    /// The statement adds nothing to an upload that is no longer being written: it selects the
    /// record row in state `writing`, and the chunk's foreign key holds that row (a key-share
    /// lock) until the insert commits, so a delete of the upload (the janitor's, or a shred's)
    /// either comes first (the insert fails) or waits and takes the chunk with it. Key-share
    /// locks do not block one another, so the inserts in flight run side by side; `finish` locks
    /// the row for update, which waits for them all. Every ``heartbeat`` the statement marks the
    /// upload alive instead: an UPDATE of the record row, which the other inserts queue behind,
    /// so it is not made for every chunk.
    private mutating func insert(_ chunk: ByteBuffer, isLast: Bool) async throws {
        if inflight.count >= Self.depth {
            // On failure the others are still in `inflight`, for `abandon()` to wait for.
            try await inflight.removeFirst().value
        }
        let beat = lastHeartbeat.map { .now - $0 >= Self.heartbeat } ?? true
        if beat { lastHeartbeat = .now }
        // Sealed here (half a millisecond a MiB), so the task holds the ciphertext only and the
        // plaintext is freed as soon as the next chunk replaces it.
        let sealed = ByteBuffer(bytes: try cipher.seal(chunk.readableBytesView, index: index, isLast: isLast))
        let (store, idBuffer, index) = (store, idBuffer, index)
        inflight.append(Task {
            let writing = RecordState.writing.sql
            let query: PostgresQuery = beat
                ? """
                    WITH alive AS (
                        UPDATE records SET last_activity_at = now() WHERE id = \(idBuffer) AND state = \(unescaped: writing) RETURNING id
                    )
                    INSERT INTO record_chunks (record_id, chunk_index, ciphertext)
                    SELECT id, \(Int32(index)), \(sealed) FROM alive RETURNING chunk_index
                    """
                : """
                    INSERT INTO record_chunks (record_id, chunk_index, ciphertext)
                    SELECT id, \(Int32(index)), \(sealed) FROM records WHERE id = \(idBuffer) AND state = \(unescaped: writing)
                    RETURNING chunk_index
                    """
            let inserted: Int
            do {
                inserted = try await store.client.query(query, logger: store.logger).collect().count
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
                inserted = 0  // the record row went between the select and the key check
            }
            guard inserted == 1 else {
                throw GatewayError(.recordNotFound, "the upload was removed before it completed")
            }
        })
        self.index += 1
    }
}
