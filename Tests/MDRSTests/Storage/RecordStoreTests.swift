import Crypto
import EthereumCore
import Foundation
import MDRSCore
import MDRSPostgres
import NIOCore
import PostgresNIO
import Synchronization
import Testing

@Suite("Encrypted record store")
struct RecordStoreTests {
    static let patient = PrivateKey.random().address

    static func keyring() throws -> MasterKeyring {
        MasterKeyring(current: try MasterKey(bytes: Bytes32.random().bytes))
    }

    static func store(_ client: PostgresClient, chunkSize: Int = 1024, keyring: MasterKeyring? = nil, limit: Int64 = 1 << 30) throws -> RecordStore {
        RecordStore(
            client: client, keyring: try keyring ?? Self.keyring(),
            configuration: .init(chunkSize: chunkSize, maximumRecordSize: limit), logger: TestEnvironment.logger)
    }

    @Test("round trips at chunk boundaries", arguments: [0, 1, 1023, 1024, 1025, 2048, 10 * 1024 + 17])
    func roundTrip(length: Int) async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let store = try Self.store(client)
            let body = PatternBody(length: length, pieceSize: 333)
            let stored = try await store.write(patient: Self.patient, contentType: "application/dicom", body: body)
            #expect(stored.size == Int64(length))
            #expect(stored.sha256.bytes == Array(SHA256.hash(data: body.bytes)))
            #expect(stored.chunkCount == max(1, (length + 1023) / 1024))
            let record = try await store.record(stored.id)
            #expect(record.patient == stored.patient && record.size == stored.size && record.sha256 == stored.sha256)
            #expect(record.chunkCount == stored.chunkCount && record.contentType == stored.contentType && record.keyId == stored.keyId)
            #expect(try await store.read(record).collectBytes() == body.bytes)
        }
    }

    @Test("a multi-chunk record with the default 1 MiB chunks round-trips")
    func defaultChunks() async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let store = try Self.store(client, chunkSize: 1 << 20)
            let body = PatternBody(length: (3 << 20) + 12345, pieceSize: 65_536)
            let stored = try await store.write(patient: Self.patient, contentType: "image/png", body: body)
            #expect(stored.chunkCount == 4)
            #expect(try await store.read(try await store.record(stored.id)).collectBytes() == body.bytes)
        }
    }

    @Test("random byte ranges read exactly their bytes")
    func ranges() async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let store = try Self.store(client)
            let body = PatternBody(length: 9_000)
            let bytes = body.bytes
            let record = try await store.record(try await store.write(patient: Self.patient, contentType: "text/plain", body: body).id)
            var generator = SystemRandomNumberGenerator()
            var ranges: [ClosedRange<Int64>] = [0...0, 8_999...8_999, 1023...1024, 0...8_999, 2048...3071]
            for _ in 0..<40 {
                let a = Int64.random(in: 0..<9_000, using: &generator)
                let b = Int64.random(in: a..<9_000, using: &generator)
                ranges.append(a...b)
            }
            for range in ranges {
                let reader = try store.read(record, range: range)
                #expect(reader.length == range.upperBound - range.lowerBound + 1)
                #expect(try await reader.collectBytes() == Array(bytes[Int(range.lowerBound)...Int(range.upperBound)]), "\(range)")
            }
            #expect(throws: GatewayError.self) { try store.read(record, range: 0...9_000) }
        }
    }

    /// Each tampering is made with SQL on the rows, as an attacker with database access would.
    static let tamperings: [(String, [String])] = [
        ("flip a bit", ["UPDATE record_chunks SET ciphertext = set_byte(ciphertext, 3, get_byte(ciphertext, 3) # 1) WHERE record_id = $1 AND chunk_index = 1"]),
        ("flip a tag bit", ["UPDATE record_chunks SET ciphertext = set_byte(ciphertext, length(ciphertext) - 1, get_byte(ciphertext, length(ciphertext) - 1) # 128) WHERE record_id = $1 AND chunk_index = 0"]),
        ("swap two chunks", ["UPDATE record_chunks c SET ciphertext = o.ciphertext FROM record_chunks o WHERE c.record_id = $1 AND o.record_id = $1 AND c.chunk_index IN (0, 1) AND o.chunk_index IN (0, 1) AND c.chunk_index <> o.chunk_index"]),
        ("reorder chunks", ["UPDATE record_chunks SET chunk_index = chunk_index + 100 WHERE record_id = $1", "UPDATE record_chunks SET chunk_index = (chunk_index - 100 + 1) % 4 WHERE record_id = $1"]),
        ("delete the last chunk", ["DELETE FROM record_chunks WHERE record_id = $1 AND chunk_index = 3"]),
        ("delete the last chunk and fix the count", ["DELETE FROM record_chunks WHERE record_id = $1 AND chunk_index = 3", "UPDATE records SET chunk_count = 3, size = 3072 WHERE id = $1"]),
        ("append a chunk", ["INSERT INTO record_chunks (record_id, chunk_index, ciphertext) SELECT record_id, 4, ciphertext FROM record_chunks WHERE record_id = $1 AND chunk_index = 2"]),
        ("append a chunk and fix the count", ["INSERT INTO record_chunks (record_id, chunk_index, ciphertext) SELECT record_id, 4, ciphertext FROM record_chunks WHERE record_id = $1 AND chunk_index = 2", "UPDATE records SET chunk_count = 5, size = size + 1024 WHERE id = $1"]),
        ("truncate a chunk", ["UPDATE record_chunks SET ciphertext = substring(ciphertext FROM 1 FOR 100) WHERE record_id = $1 AND chunk_index = 2"]),
        ("copy in a chunk of another record", ["UPDATE record_chunks SET ciphertext = (SELECT ciphertext FROM record_chunks WHERE record_id = $2 AND chunk_index = 1) WHERE record_id = $1 AND chunk_index = 1"]),
        ("move a chunk to another record", ["DELETE FROM record_chunks WHERE record_id = $2 AND chunk_index = 2", "UPDATE record_chunks SET record_id = $2 WHERE record_id = $1 AND chunk_index = 2"]),
        ("swap wrapped keys between records", ["UPDATE records SET wrapped_key = (SELECT wrapped_key FROM records WHERE id = $2) WHERE id = $1"]),
    ]

    @Test("chunk tampering is detected, and no wrong byte is ever yielded", arguments: 0..<tamperings.count)
    func tampering(index: Int) async throws {
        let (name, statements) = Self.tamperings[index]
        try await TestEnvironment.withDatabase { client, _ in
            let store = try Self.store(client)
            let body = PatternBody(length: 4 * 1024 - 100, seed: 9)
            let victim = try await store.write(patient: Self.patient, contentType: "text/plain", body: body)
            let other = try await store.write(patient: Self.patient, contentType: "text/plain", body: PatternBody(length: 4000, seed: 3))
            for sql in statements {
                var query = PostgresQuery(unsafeSQL: sql)
                try query.binds.append(ByteBuffer(bytes: victim.id.bytes), context: .default)
                if sql.contains("$2") { try query.binds.append(ByteBuffer(bytes: other.id.bytes), context: .default) }
                try await client.query(query, logger: TestEnvironment.logger)
            }

            let expected = body.bytes
            var yielded = [UInt8]()
            let error = await #expect(throws: GatewayError.self, "\(name)") {
                let record = try await store.record(victim.id)
                for try await buffer in try store.read(record) { yielded += Array(buffer.readableBytesView) }
            }
            #expect(error?.code == .integrityFailure, "\(name): \(String(describing: error))")
            #expect(Array(expected.prefix(yielded.count)) == yielded, "\(name): yielded bytes that are not the record's")
        }
    }

    @Test("a record wrapped by an unknown master key does not open; old and new keys both open during rotation")
    func masterKeys() async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let oldKey = try MasterKey(bytes: Bytes32.random().bytes)
            let newKey = try MasterKey(bytes: Bytes32.random().bytes)
            let oldStore = try Self.store(client, keyring: MasterKeyring(current: oldKey))
            var written = [Bytes32]()
            for seed in 0..<30 {
                written.append(try await oldStore.write(patient: Self.patient, contentType: "text/plain", body: PatternBody(length: 2500, seed: UInt8(seed))).id)
            }
            let ids = written
            let wrongStore = try Self.store(client, keyring: MasterKeyring(current: newKey))
            let error = await #expect(throws: GatewayError.self) { try await wrongStore.read(try await wrongStore.record(ids[0])) }
            #expect(error?.code == .unknownMasterKey)

            let rotatingStore = try Self.store(client, keyring: MasterKeyring(current: newKey, previous: [oldKey]))
            let rotationDone = Mutex(false)
            async let readsDuringRotation = {
                var reads = 0
                while !rotationDone.withLock({ $0 }) {
                    for (seed, id) in ids.enumerated() {
                        let bytes = try await rotatingStore.read(try await rotatingStore.record(id)).collectBytes()
                        guard bytes == PatternBody(length: 2500, seed: UInt8(seed)).bytes else { throw GatewayError(.integrityFailure, "wrong bytes") }
                        reads += 1
                    }
                }
                return reads
            }()
            let progress = try await rotatingStore.rotateMasterKey(batchSize: 7)
            rotationDone.withLock { $0 = true }
            let reads = try await readsDuringRotation
            #expect(reads > 0)
            #expect(progress == .init(rewrapped: 30, remaining: 0))
            #expect(try await rotatingStore.rotateMasterKey() == .init(rewrapped: 0, remaining: 0))
            // The rotation is done: the new key alone opens everything, the old one nothing.
            let newOnly = try Self.store(client, keyring: MasterKeyring(current: newKey))
            for (seed, id) in ids.enumerated() {
                #expect(try await newOnly.read(try await newOnly.record(id)).collectBytes() == PatternBody(length: 2500, seed: UInt8(seed)).bytes)
            }
            await #expect(throws: GatewayError.self) { try await oldStore.read(try await oldStore.record(ids[0])) }
        }
    }

    @Test("an upload that fails or is cancelled mid-way leaves nothing visible")
    func interruptedUploads() async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let store = try Self.store(client)
            // The body fails after some chunks.
            let failing = FailingBody(length: 5000)
            await #expect(throws: FailingBody.BodyFailure.self) {
                try await store.write(patient: Self.patient, contentType: "text/plain", body: failing, recordId: Bytes32.keccak([1]))
            }
            // The body stalls; the upload task is cancelled.
            let upload = Task {
                try await store.write(patient: Self.patient, contentType: "text/plain", body: StallingBody(length: 5000), recordId: Bytes32.keccak([2]))
            }
            try await Self.waitForChunks(client, minimum: 3)
            upload.cancel()
            _ = await upload.result
            for id in [Bytes32.keccak([1]), Bytes32.keccak([2])] {
                let error = await #expect(throws: GatewayError.self) { try await store.record(id) }
                #expect(error?.code == .recordNotFound)
            }
            let rows = try await client.query("SELECT count(*) FROM records", logger: TestEnvironment.logger).decode(Int64.self).first(where: { _ in true })
            #expect(rows == 0)
            let chunks = try await client.query("SELECT count(*) FROM record_chunks", logger: TestEnvironment.logger).decode(Int64.self).first(where: { _ in true })
            #expect(chunks == 0)
        }
    }

    @Test("an upload the janitor removes mid-way fails, with its inserts in flight, and leaves nothing")
    func removedMidway() async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let store = try Self.store(client)
            let (body, feed) = AsyncStream<ByteBuffer>.makeStream()
            let upload = Task { try await store.write(patient: Self.patient, contentType: "text/plain", body: body) }
            feed.yield(ByteBuffer(repeating: 7, count: 5 * 1024))
            try await Self.waitForChunks(client, minimum: 3)
            #expect(try await store.removeAbandonedUploads(idleFor: .zero) == 1)
            // More chunks arrive: none of them may land on the removed upload.
            for _ in 0..<4 { feed.yield(ByteBuffer(repeating: 8, count: 1024)) }
            feed.finish()
            let error = await #expect(throws: GatewayError.self) { try await upload.value }
            #expect(error?.code == .recordNotFound)
            for table in ["records", "record_chunks"] {
                let rows = try await client.query("SELECT count(*) FROM \(unescaped: table)", logger: TestEnvironment.logger)
                    .decode(Int64.self).first(where: { _ in true })
                #expect(rows == 0, "\(table)")
            }
        }
    }

    @Test("a record shredded while its upload is in flight keeps no chunk, and the upload fails")
    func shreddedMidway() async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let store = try Self.store(client)
            let id = Bytes32.random()
            let (body, feed) = AsyncStream<ByteBuffer>.makeStream()
            let upload = Task { try await store.write(patient: Self.patient, contentType: "text/plain", body: body, recordId: id) }
            feed.yield(ByteBuffer(repeating: 7, count: 5 * 1024))
            try await Self.waitForChunks(client, minimum: 3)
            // Chunks keep arriving while the shred runs.
            let more = Task { for _ in 0..<40 { feed.yield(ByteBuffer(repeating: 8, count: 1024)); await Task.yield() } }
            try await store.shred(id)
            await more.value
            feed.finish()
            let error = await #expect(throws: GatewayError.self) { try await upload.value }
            #expect(error?.code == .recordNotFound)
            let chunks = try await client.query("SELECT count(*) FROM record_chunks", logger: TestEnvironment.logger)
                .decode(Int64.self).first(where: { _ in true })
            #expect(chunks == 0)
        }
    }

    static func waitForChunks(_ client: PostgresClient, minimum: Int64) async throws {
        for _ in 0..<200 {
            let count = try await client.query("SELECT count(*) FROM record_chunks", logger: TestEnvironment.logger).decode(Int64.self).first(where: { _ in true }) ?? 0
            if count >= minimum { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the upload never wrote \(minimum) chunks")
    }

    @Test("the janitor removes an abandoned upload that could not be cleaned up at once")
    func janitor() async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let store = try Self.store(client)
            let id = ByteBuffer(bytes: Bytes32.random().bytes)
            try await client.query(
                "INSERT INTO records (id, patient, content_type, state, chunk_size, key_id, last_activity_at) VALUES (\(id), \(ByteBuffer(bytes: Self.patient.bytes)), 'text/plain', 'writing', 1024, 'x', now() - interval '2 hours')",
                logger: TestEnvironment.logger)
            _ = try await store.write(patient: Self.patient, contentType: "text/plain", body: PatternBody(length: 10))
            #expect(try await store.removeAbandonedUploads(idleFor: .seconds(3600)) == 1)
            #expect(try await store.removeAbandonedUploads(idleFor: .seconds(3600)) == 0)
        }
    }

    @Test("the size limit is enforced while streaming")
    func sizeLimit() async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let store = try Self.store(client, limit: 4096)
            _ = try await store.write(patient: Self.patient, contentType: "text/plain", body: PatternBody(length: 4096))
            let error = await #expect(throws: GatewayError.self) {
                try await store.write(patient: Self.patient, contentType: "text/plain", body: PatternBody(length: 4097))
            }
            #expect(error?.code == .recordTooLarge)
            let count = try await client.query("SELECT count(*) FROM records", logger: TestEnvironment.logger).decode(Int64.self).first(where: { _ in true })
            #expect(count == 1)
        }
    }

    @Test("shredding deletes the key and chunks; reads say erased, not missing")
    func shredding() async throws {
        try await TestEnvironment.withDatabase { client, _ in
            let store = try Self.store(client)
            let stored = try await store.write(patient: Self.patient, contentType: "text/plain", body: PatternBody(length: 3000))
            try await store.shred(stored.id)
            let error = await #expect(throws: GatewayError.self) { try await store.record(stored.id) }
            #expect(error?.code == .recordErased)
            let (chunks, key) = try #require(try await client.query(
                "SELECT (SELECT count(*) FROM record_chunks WHERE record_id = \(ByteBuffer(bytes: stored.id.bytes))), wrapped_key IS NULL FROM records WHERE id = \(ByteBuffer(bytes: stored.id.bytes))",
                logger: TestEnvironment.logger).decode((Int64, Bool).self).first(where: { _ in true }))
            #expect(chunks == 0)
            #expect(key)
            let again = await #expect(throws: GatewayError.self) { try await store.shred(stored.id) }
            #expect(again?.code == .recordNotFound)
            let missing = await #expect(throws: GatewayError.self) { try await store.record(Bytes32.random()) }
            #expect(missing?.code == .recordNotFound)
        }
    }
}

/// Yields some data, then fails.
struct FailingBody: AsyncSequence, Sendable {
    struct BodyFailure: Error {}
    typealias Element = ByteBuffer
    let length: Int
    func makeAsyncIterator() -> Iterator { Iterator(inner: PatternBody(length: length, pieceSize: 1000).makeAsyncIterator()) }
    struct Iterator: AsyncIteratorProtocol {
        var inner: PatternBody.Iterator
        mutating func next() async throws -> ByteBuffer? {
            guard let next = try await inner.next() else { throw FailingBody.BodyFailure() }
            return next
        }
    }
}

/// Yields some data, then waits until cancelled.
struct StallingBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let length: Int
    func makeAsyncIterator() -> Iterator { Iterator(inner: PatternBody(length: length, pieceSize: 1000).makeAsyncIterator()) }
    struct Iterator: AsyncIteratorProtocol {
        var inner: PatternBody.Iterator
        mutating func next() async throws -> ByteBuffer? {
            if let next = try await inner.next() { return next }
            try await Task.sleep(for: .seconds(3600))
            return nil
        }
    }
}
