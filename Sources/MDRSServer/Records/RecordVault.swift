import EthereumCore
import Logging
import MDRSCore
import MDRSPostgres
import MDRSProtocol
import NIOCore

/// The records as the controllers see them: sealed addresses, stored records and their
/// streams, with every byte in or out counted.
struct RecordVault: Sendable {
    let store: RecordStore
    let sealer: AddressSealer
    let metrics: GatewayMetrics
    let clock: any WallClock

    var maximumRecordSize: Int64 { store.configuration.maximumRecordSize }

    /// The record an encrypted address names; an address that does not open is the client's error.
    func open(_ encryptedAddress: String) throws -> RecordAddress {
        do { return try sealer.open(encryptedAddress) } catch { throw APIError(error) }
    }

    func record(_ id: Bytes32) async throws -> StoredRecord {
        try await store.record(id)
    }

    /// The plaintext of `record` (or of `range` of it), decrypted chunk by chunk as it is sent.
    func reader(_ record: StoredRecord, range: ClosedRange<Int64>?) throws -> RecordReader {
        try store.read(record, range: range)
    }

    /// Streams `body` into a new record for `patient` and queues its on-chain anchor in the same
    /// transaction that completes it: a record is never complete without its anchor.
    func store<Body: AsyncSequence & Sendable>(
        patient: Address, contentType: String, body: Body, expectedLength: Int64?, expectedSHA256: Bytes32, document: [UInt8]?,
        logger: Logger
    ) async throws -> (record: StoredRecord, encryptedAddress: [UInt8]) where Body.Element == ByteBuffer {
        let recordId = Bytes32.random()
        let encryptedAddress = try sealer.sealBytes(recordId: recordId)
        let metrics = self.metrics
        let counted = CheckedBody(base: body, expectedLength: expectedLength) { metrics.bytesStreamed($0, direction: "in") }
        let clock = self.clock
        let record = try await store.write(
            patient: patient, contentType: contentType, body: counted, recordId: recordId, expectedSHA256: expectedSHA256, document: document
        ) { connection, sha256 in
            try await OutboxStore.insertAnchor(
                RecordAnchorInput(recordId: recordId, patient: patient, contentHash: sha256, encryptedAddress: encryptedAddress),
                on: connection, logger: logger, now: clock.now())
        }
        return (record, encryptedAddress)
    }
}
