import BigInt
import EthereumCore
import EthereumRPC
import Foundation
import Logging
import MDRSCore
import MDRSProtocol
import NIOCore
import PostgresNIO

extension OutboxStore {
    // MARK: Batches

    package func openBatch(signer: Address) async throws -> OpenBatch? {
        let rows = try await client.query(
            """
            SELECT id, account_nonce, state, last_sent_at FROM outbox_batches
            WHERE signer = \(signer.buffer) AND state IN (\(unescaped: BatchState.sent.sql), \(unescaped: BatchState.mined.sql))
            """, logger: logger)
        var found: (Int64, Int64, BatchState, Date)?
        for try await row in rows.decode((Int64, Int64, BatchState, Date).self) { found = row }
        guard let (id, nonce, state, lastSentAt) = found else { return nil }
        var hashes = [Bytes32]()
        var latestRaw: [UInt8]?
        for try await (hash, raw) in try await client.query(
            "SELECT tx_hash, raw FROM outbox_transactions WHERE batch_id = \(id) ORDER BY created_at, tx_hash", logger: logger
        ).decode((ByteBuffer, ByteBuffer).self) {
            hashes.append(try Bytes32(buffer: hash))
            latestRaw = Array(buffer: raw)
        }
        var anchors = [Bytes32]()
        for try await id in try await client.query(
            "SELECT record_id FROM record_anchors WHERE batch_id = \(id) AND chain_state = \(unescaped: LogState.submitted.sql)", logger: logger
        ).decode(ByteBuffer.self) {
            anchors.append(try Bytes32(buffer: id))
        }
        var entries = [Bytes32]()
        for try await id in try await client.query(
            "SELECT request_id FROM access_log WHERE batch_id = \(id) AND chain_state = \(unescaped: LogState.submitted.sql)", logger: logger
        ).decode(ByteBuffer.self) {
            entries.append(try Bytes32(buffer: id))
        }
        return OpenBatch(
            id: id, accountNonce: UInt64(nonce), state: state, lastSentAt: lastSentAt, hashes: hashes, latestRaw: latestRaw,
            anchors: anchors, entries: entries)
    }

    /// Creates a batch with its first signed transaction and claims its rows, in one
    /// transaction: after this commits, a crash cannot lose track of what was sent.
    package func createBatch(
        signer: Address, transaction: SignedTransaction, anchors: [Bytes32], entries: [Bytes32]
    ) async throws -> Int64 {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO outbox_batches (signer, account_nonce, state, last_sent_at)
                VALUES (\(signer.buffer), \(Int64(transaction.transaction.nonce)), \(unescaped: BatchState.sent.sql), \(clock.now())) RETURNING id
                """, logger: logger)
            var batchId: Int64?
            for try await id in rows.decode(Int64.self) { batchId = id }
            guard let batchId else { throw GatewayError(.unexpectedDatabaseState, "inserting an outbox batch returned no id") }
            try await Self.insertTransaction(transaction, batch: batchId, on: connection, logger: logger)
            for id in anchors {
                try await connection.query(
                    "UPDATE record_anchors SET chain_state = \(unescaped: LogState.submitted.sql), batch_id = \(batchId) WHERE record_id = \(id.buffer) AND chain_state = \(unescaped: LogState.pending.sql)",
                    logger: logger)
            }
            for id in entries {
                try await connection.query(
                    "UPDATE access_log SET chain_state = \(unescaped: LogState.submitted.sql), batch_id = \(batchId) WHERE request_id = \(id.buffer) AND chain_state = \(unescaped: LogState.pending.sql)",
                    logger: logger)
            }
            return batchId
        }
    }

    /// Records a replacement before it is sent.
    package func addReplacement(_ transaction: SignedTransaction, batch: Int64) async throws {
        try await client.transaction(logger: logger) { connection in
            try await Self.insertTransaction(transaction, batch: batch, on: connection, logger: logger)
            try await connection.query("UPDATE outbox_batches SET last_sent_at = \(clock.now()) WHERE id = \(batch)", logger: logger)
        }
    }

    /// Restarts a batch's replacement wait without a new version (its fee is at the cap), so
    /// the writer looks again only after another wait, not every round. The gateway's clock,
    /// like every comparison with it.
    package func deferReplacement(batch: Int64) async throws {
        try await client.query("UPDATE outbox_batches SET last_sent_at = \(clock.now()) WHERE id = \(batch)", logger: logger)
    }

    static func insertTransaction(_ transaction: SignedTransaction, batch: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO outbox_transactions (tx_hash, batch_id, raw, fee_cap)
            VALUES (\(transaction.hash.buffer), \(batch), \(ByteBuffer(bytes: transaction.raw)),
                \(String(transaction.transaction.maxFeePerGas))::numeric)
            ON CONFLICT (tx_hash) DO NOTHING
            """, logger: logger)
    }

    package func markMined(batch: Int64, receipt: TransactionReceipt) async throws {
        try await client.query(
            """
            UPDATE outbox_batches SET state = \(unescaped: BatchState.mined.sql), tx_hash = \(receipt.transactionHash.buffer),
                block_number = \(Int64(receipt.blockNumber)), block_hash = \(receipt.blockHash.buffer)
            WHERE id = \(batch)
            """, logger: logger)
    }

    /// Marks a batch final and each of its rows with the transaction, block and log index.
    /// Returns how long its oldest row waited.
    @discardableResult
    package func confirm(batch: Int64, receipt: TransactionReceipt, anchorLogs: [Bytes32: UInt64], entryLogs: [Bytes32: UInt64]) async throws -> TimeInterval {
        try await client.transaction(logger: logger) { connection in
            var oldest: Date?
            for try await created in try await connection.query(
                """
                SELECT min(created_at) FROM (SELECT created_at FROM access_log WHERE batch_id = \(batch)
                    UNION ALL SELECT created_at FROM record_anchors WHERE batch_id = \(batch)) AS rows
                """, logger: logger
            ).decode(Date?.self) {
                oldest = created
            }
            let tx = receipt.transactionHash.buffer
            let block = Int64(receipt.blockNumber)
            try await connection.query(
                """
                UPDATE outbox_batches SET state = \(unescaped: BatchState.confirmed.sql), tx_hash = \(tx), block_number = \(block),
                    block_hash = \(receipt.blockHash.buffer), finished_at = now()
                WHERE id = \(batch)
                """, logger: logger)
            for (id, logIndex) in anchorLogs {
                try await connection.query(
                    """
                    UPDATE record_anchors SET chain_state = \(unescaped: LogState.confirmed.sql), tx_hash = \(tx), block_number = \(block), log_index = \(Int32(logIndex))
                    WHERE record_id = \(id.buffer) AND batch_id = \(batch)
                    """, logger: logger)
            }
            for (id, logIndex) in entryLogs {
                try await connection.query(
                    """
                    UPDATE access_log SET chain_state = \(unescaped: LogState.confirmed.sql), tx_hash = \(tx), block_number = \(block), log_index = \(Int32(logIndex))
                    WHERE request_id = \(id.buffer) AND batch_id = \(batch)
                    """, logger: logger)
            }
            if !entryLogs.isEmpty { try await Self.recheck(from: block, on: connection, logger: logger) }
            return oldest.map { clock.now().timeIntervalSince($0) } ?? 0
        }
    }

    /// Gives up on a batch whose nonce went to another transaction or that reverted: its rows go
    /// back to the queue (if they were in fact logged, the contract's duplicate check says so).
    package func drop(batch: Int64) async throws {
        try await client.transaction(logger: logger) { connection in
            try await connection.query("UPDATE outbox_batches SET state = \(unescaped: BatchState.dropped.sql), finished_at = now() WHERE id = \(batch)", logger: logger)
            try await connection.query(
                "UPDATE access_log SET chain_state = \(unescaped: LogState.pending.sql), batch_id = NULL WHERE batch_id = \(batch) AND chain_state = \(unescaped: LogState.submitted.sql)",
                logger: logger)
            try await connection.query(
                "UPDATE record_anchors SET chain_state = \(unescaped: LogState.pending.sql), batch_id = NULL WHERE batch_id = \(batch) AND chain_state = \(unescaped: LogState.submitted.sql)",
                logger: logger)
        }
    }

    package func confirmEntry(_ requestId: Bytes32, tx: Bytes32, block: UInt64, logIndex: UInt64) async throws {
        try await client.transaction(logger: logger) { connection in
            try await connection.query(
                """
                UPDATE access_log SET chain_state = \(unescaped: LogState.confirmed.sql), tx_hash = \(tx.buffer), block_number = \(Int64(block)),
                    log_index = \(Int32(logIndex)) WHERE request_id = \(requestId.buffer)
                """, logger: logger)
            try await Self.recheck(from: Int64(block), on: connection, logger: logger)
        }
    }

    /// A row confirmed in a block the audit check has passed would never be compared with the
    /// chain: the check goes back to just before that block.
    static func recheck(from block: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "UPDATE chain_index_state SET checked_through = LEAST(checked_through, \(block - 1))", logger: logger)
    }

    package func confirmAnchor(_ recordId: Bytes32, tx: Bytes32?, block: UInt64, logIndex: UInt64?) async throws {
        try await client.query(
            """
            UPDATE record_anchors SET chain_state = \(unescaped: LogState.confirmed.sql), tx_hash = \(tx?.buffer), block_number = \(Int64(block)),
                log_index = \(logIndex.map { Int32($0) }) WHERE record_id = \(recordId.buffer)
            """, logger: logger)
    }

    package func rejectEntry(_ requestId: Bytes32, error: String) async throws {
        try await client.query(
            "UPDATE access_log SET chain_state = \(unescaped: LogState.rejected.sql), chain_error = \(error), batch_id = NULL WHERE request_id = \(requestId.buffer)",
            logger: logger)
    }

    package func rejectAnchor(_ recordId: Bytes32, error: String) async throws {
        try await client.query(
            "UPDATE record_anchors SET chain_state = \(unescaped: LogState.rejected.sql), chain_error = \(error), batch_id = NULL WHERE record_id = \(recordId.buffer)",
            logger: logger)
    }
}
