import EthereumCore
import Logging
import MDRSCore
import MDRSProtocol
import NIOCore
import PostgresNIO

extension RecordStore {
    /// The plaintext of `record`, or of the inclusive byte `range` of it, as a stream of
    /// buffers. Only the chunks that cover the range are read, one query each, so at most one
    /// chunk is held in memory; each chunk's tag is verified before any of its bytes are yielded.
    public func read(_ record: StoredRecord, range: ClosedRange<Int64>? = nil) throws -> RecordReader {
        let range = range ?? (record.size == 0 ? nil : 0...(record.size - 1))
        if let range {
            guard range.lowerBound >= 0, range.upperBound < record.size else {
                throw GatewayError(.invalidRange, "range \(range) lies outside the record's \(record.size) bytes")
            }
        }
        return RecordReader(store: self, record: record, cipher: try cipher(for: record), range: range)
    }

    /// Reads and decrypts chunk `index` of `record`: from the buffer PostgreSQL's answer arrived
    /// in straight into a buffer of its own, with no copy between (a range is then a slice of it).
    func chunk(_ index: Int, of record: StoredRecord, cipher: ChunkCipher) async throws -> ByteBuffer {
        let rows = try await client.execute(ChunkQuery(recordId: ByteBuffer(bytes: record.id.bytes), index: Int32(index)), logger: logger)
        guard let sealed = try await rows.first(where: { _ in true }) else {
            throw GatewayError(.integrityFailure, "record \(record.id.hex) chunk \(index) is missing")
        }
        // The length comes from the record's row; a row that disagrees with its chunks is the
        // record's integrity failure, never a buffer of a negative or absurd size.
        let length = record.plaintextLength(ofChunk: index)
        guard (0...record.chunkSize).contains(length), sealed.readableBytes == length + ChunkCipher.tagSize else {
            throw GatewayError(.integrityFailure, "record \(record.id.hex) chunk \(index) has the wrong length")
        }
        var buffer = ByteBufferAllocator().buffer(capacity: length)
        try sealed.withUnsafeReadableBytes { input in
            _ = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { target in
                try cipher.open(input, into: UnsafeMutableRawBufferPointer(rebasing: target[..<length]), index: index, isLast: index == record.chunkCount - 1)
            }
        }
        return buffer
    }
}

/// A record's plaintext as an `AsyncSequence` of buffers, one chunk (or the part of it inside
/// the requested range) at a time.
public struct RecordReader: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    let store: RecordStore
    public let record: StoredRecord
    let cipher: ChunkCipher
    /// The inclusive byte range; nil for an empty record.
    public let range: ClosedRange<Int64>?

    /// The record's document metadata, opened with the data key this reader already holds (a
    /// fetch unwraps the key once for the content and the file name alike).
    public func document() throws -> DocumentMetadata? {
        try RecordStore.document(of: record, cipher: cipher)
    }

    /// How many bytes the sequence yields in all.
    public var length: Int64 { range.map { $0.upperBound - $0.lowerBound + 1 } ?? 0 }

    public func makeAsyncIterator() -> Iterator {
        let chunkSize = Int64(record.chunkSize)
        if let range {
            return Iterator(
                reader: self, next: Int(range.lowerBound / chunkSize), last: Int(range.upperBound / chunkSize))
        }
        return Iterator(reader: self, next: 0, last: -1)
    }

    /// Chunks read and decrypted ahead of the one being sent: the database round trip and the
    /// decryption of chunk k+1 and k+2 overlap the sending of chunk k, and memory stays bounded
    /// (at most `readAhead` + 1 chunks per response).
    static let readAhead = 2

    public struct Iterator: AsyncIteratorProtocol {
        let reader: RecordReader
        var next: Int
        let last: Int
        /// Reads started, oldest first: chunk `next`, `next + 1`, ...
        var ahead: [Task<ByteBuffer, any Error>] = []

        init(reader: RecordReader, next: Int, last: Int) {
            self.reader = reader
            self.next = next
            self.last = last
        }

        public mutating func next() async throws -> ByteBuffer? {
            guard next <= last, let range = reader.range else { return nil }
            let index = next
            next += 1
            // Keep `readAhead` reads in flight beyond this one (never past the range).
            let (store, record, cipher) = (reader.store, reader.record, reader.cipher)
            while ahead.count <= RecordReader.readAhead, index + ahead.count <= last {
                let chunk = index + ahead.count
                ahead.append(Task { try await store.chunk(chunk, of: record, cipher: cipher) })
            }
            let task = ahead.removeFirst()
            let plaintext: ByteBuffer
            do {
                // A response that is cancelled (the client went away) cancels the reads it started.
                let pending = ahead
                plaintext = try await withTaskCancellationHandler {
                    try await task.value
                } onCancel: {
                    task.cancel()
                    for read in pending { read.cancel() }
                }
            } catch {
                for read in ahead { read.cancel() }
                ahead.removeAll()
                throw error
            }
            let chunkStart = Int64(index) * Int64(reader.record.chunkSize)
            let from = Int(Swift.max(range.lowerBound - chunkStart, 0))
            let to = Int(Swift.min(range.upperBound - chunkStart, Int64(plaintext.readableBytes - 1)))
            guard let part = plaintext.getSlice(at: plaintext.readerIndex + from, length: to - from + 1) else {
                throw GatewayError(.integrityFailure, "record \(reader.record.id.hex) chunk \(index) is shorter than the range")
            }
            return part
        }
    }
}

/// Prepared once per connection: every fetch reads at least one chunk.
struct ChunkQuery: PostgresPreparedStatement {
    static let sql = "SELECT ciphertext FROM record_chunks WHERE record_id = $1 AND chunk_index = $2"
    static let bindingDataTypes: [PostgresDataType] = [.bytea, .int4]
    typealias Row = ByteBuffer

    let recordId: ByteBuffer
    let index: Int32

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(recordId)
        bindings.append(index)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> ByteBuffer { try row.decode(ByteBuffer.self) }
}
