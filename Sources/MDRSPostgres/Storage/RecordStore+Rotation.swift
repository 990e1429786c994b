import EthereumCore
import NIOCore
import PostgresNIO

extension RecordStore {
    /// Progress of a master-key rotation.
    public struct RotationProgress: Equatable, Sendable {
        /// Data keys re-wrapped by this call.
        public var rewrapped: Int
        /// Data keys still wrapped by another master key (0 when the rotation is done).
        public var remaining: Int

        public init(rewrapped: Int, remaining: Int) {
            self.rewrapped = rewrapped
            self.remaining = remaining
        }
    }

    /// Re-wraps every data key under the current master key, `batchSize` records per
    /// transaction, without touching a single chunk. Resumable: each batch commits on its own,
    /// and a rerun continues with what is left. Reads keep working throughout, because a record
    /// row always names the key that wraps it and the keyring holds both keys.
    public func rotateMasterKey(batchSize: Int = 500) async throws -> RotationProgress {
        let current = keyring.current
        var rewrapped = 0
        while true {
            let done = try await client.transaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    SELECT id, key_id, wrapped_key FROM records
                    WHERE wrapped_key IS NOT NULL AND key_id <> \(current.idHex)
                    ORDER BY id LIMIT \(batchSize) FOR UPDATE SKIP LOCKED
                    """, logger: logger)
                var batch = [(Bytes32, String, [UInt8])]()
                for try await (id, keyId, wrapped) in rows.decode((ByteBuffer, String, ByteBuffer).self) {
                    batch.append((try Bytes32(bytes: Array(buffer: id)), keyId, Array(buffer: wrapped)))
                }
                for (id, keyId, wrapped) in batch {
                    let dataKey = try keyring.key(idHex: keyId).unwrap(wrapped, recordId: id)
                    let rewrappedKey = try current.wrap(dataKey, recordId: id)
                    try await connection.query(
                        """
                        UPDATE records SET wrapped_key = \(ByteBuffer(bytes: rewrappedKey)), key_id = \(current.idHex)
                        WHERE id = \(ByteBuffer(bytes: id.bytes)) AND key_id = \(keyId)
                        """, logger: logger)
                }
                return batch.count
            }
            rewrapped += done
            if done == 0 { break }
            logger.info("master key rotation progress", metadata: ["rewrapped": "\(rewrapped)"])
        }
        let remaining = try await client.query(
            "SELECT count(*) FROM records WHERE wrapped_key IS NOT NULL AND key_id <> \(current.idHex)", logger: logger
        ).decode(Int64.self).first(where: { _ in true }) ?? 0
        return RotationProgress(rewrapped: rewrapped, remaining: Int(remaining))
    }
}
