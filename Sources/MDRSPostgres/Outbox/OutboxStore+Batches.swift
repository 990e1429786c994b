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

    /// The number the next batch's first entry takes in `signer`'s on-chain log: after every
    /// number a row here holds (confirmed, or in the open batch) and every number known to be
    /// taken on-chain by entries this gateway did not write.
    package func nextSequence(signer: Address) async throws -> UInt64 {
        let rows = try await client.query(
            """
            SELECT GREATEST((SELECT max(sequence) FROM access_log), (SELECT last FROM log_sequence WHERE signer = \(signer.buffer)), 0) + 1
            """, logger: logger)
        for try await next in rows.decode(Int64.self) { return UInt64(next) }
        return 1
    }

    /// Remembers that `signer`'s on-chain log holds numbers up to `last` that are not this
    /// gateway's rows, so the next batch is numbered after them.
    package func noteTakenSequence(signer: Address, through last: UInt64) async throws {
        try await writerTransaction { connection in
            try await connection.query(
                """
                INSERT INTO log_sequence (signer, last) VALUES (\(signer.buffer), \(Int64(last)))
                ON CONFLICT (signer) DO UPDATE SET last = GREATEST(log_sequence.last, EXCLUDED.last)
                """, logger: logger)
        }
    }

    /// Creates a batch with its first signed transaction and claims its rows, numbering the
    /// entries from `firstSequence` in order, in one transaction: after this commits, a crash
    /// cannot lose track of what was sent, and the same numbers are sent again.
    package func createBatch(
        signer: Address, transaction: SignedTransaction, anchors: [Bytes32], entries: [Bytes32], firstSequence: UInt64,
        review: Bytes32? = nil
    ) async throws -> Int64 {
        let term = lease.term?.number
        return try await writerTransaction { connection in
            let rows = try await connection.query(
                """
                INSERT INTO outbox_batches (signer, account_nonce, state, last_sent_at, writer_term)
                VALUES (\(signer.buffer), \(Int64(transaction.transaction.nonce)), \(unescaped: BatchState.sent.sql), \(clock.now()), \(term))
                RETURNING id
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
            if let review {
                let claimed = try await connection.query(
                    """
                    UPDATE emergency_reviews SET chain_state = \(unescaped: LogState.submitted.sql), batch_id = \(batchId)
                    WHERE emergency = \(review.buffer) AND chain_state = \(unescaped: LogState.pending.sql) RETURNING 1
                    """, logger: logger
                ).collect().count
                guard claimed == 1 else { throw GatewayError(.unexpectedDatabaseState, "the review of the new batch is no longer pending") }
            }
            // One statement for all the rows, however many (a round can carry 500).
            let sequences = entries.indices.map { Int64(firstSequence) + Int64($0) }
            let claimed = try await connection.query(
                """
                UPDATE access_log SET chain_state = \(unescaped: LogState.submitted.sql), batch_id = \(batchId), sequence = numbered.sequence
                FROM unnest(\(entries.map(\.buffer)), \(sequences)) AS numbered (request_id, sequence)
                WHERE access_log.request_id = numbered.request_id AND access_log.chain_state = \(unescaped: LogState.pending.sql)
                RETURNING 1
                """, logger: logger
            ).collect().count
            // The transaction carries every number: a row that is not pending any more would
            // leave its number sent for an entry this database does not account for.
            guard claimed == entries.count else {
                throw GatewayError(.unexpectedDatabaseState, "an outbox row of the new batch is no longer pending")
            }
            return batchId
        }
    }

    /// Records a replacement before it is sent.
    package func addReplacement(_ transaction: SignedTransaction, batch: Int64) async throws {
        try await writerTransaction { connection in
            try await Self.insertTransaction(transaction, batch: batch, on: connection, logger: logger)
            try await connection.query("UPDATE outbox_batches SET last_sent_at = \(clock.now()) WHERE id = \(batch)", logger: logger)
        }
    }

    /// Restarts a batch's replacement wait without a new version (its fee is at the cap), so
    /// the writer looks again only after another wait, not every round. The gateway's clock,
    /// like every comparison with it.
    package func deferReplacement(batch: Int64) async throws {
        let now = clock.now()
        try await writerTransaction { connection in
            try await connection.query("UPDATE outbox_batches SET last_sent_at = \(now) WHERE id = \(batch)", logger: logger)
        }
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
        try await writerTransaction { connection in
            try await connection.query(
                """
                UPDATE outbox_batches SET state = \(unescaped: BatchState.mined.sql), tx_hash = \(receipt.transactionHash.buffer),
                    block_number = \(Int64(receipt.blockNumber)), block_hash = \(receipt.blockHash.buffer)
                WHERE id = \(batch)
                """, logger: logger)
        }
    }

    /// Where a row's entry is in a receipt.
    package struct LoggedEntry: Equatable, Sendable {
        package let logIndex: UInt64
        package let sequence: UInt64
        /// The contract logged a served access as `servedWithoutGrant`: the chain holds no
        /// matching grant. The row then needs an operator's review (``unreviewedRejections()``).
        package let withoutGrant: Bool

        package init(logIndex: UInt64, sequence: UInt64, withoutGrant: Bool) {
            self.logIndex = logIndex
            self.sequence = sequence
            self.withoutGrant = withoutGrant
        }
    }

    /// What `chain_error` says of a served row the contract logged without a grant.
    package static let servedWithoutGrant = "ServedWithoutGrant"

    /// Marks a batch final and each of its rows with the transaction, block, log index and
    /// number. Returns how long its oldest row waited.
    @discardableResult
    package func confirm(batch: Int64, receipt: TransactionReceipt, anchorLogs: [Bytes32: UInt64], entryLogs: [Bytes32: LoggedEntry]) async throws -> TimeInterval {
        try await writerTransaction { connection in
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
            if !entryLogs.isEmpty {
                let logged = Array(entryLogs)
                // Arrays cannot hold NULL here: an empty string stands for "no error".
                try await connection.query(
                    """
                    UPDATE access_log SET chain_state = \(unescaped: LogState.confirmed.sql), tx_hash = \(tx), block_number = \(block),
                        log_index = found.log_index, sequence = found.sequence, chain_error = NULLIF(found.error, '')
                    FROM unnest(\(logged.map(\.key.buffer)), \(logged.map { Int32($0.value.logIndex) }), \(logged.map { Int64(clamping: $0.value.sequence) }),
                        \(logged.map { $0.value.withoutGrant ? Self.servedWithoutGrant : "" })) AS found (request_id, log_index, sequence, error)
                    WHERE access_log.request_id = found.request_id AND access_log.batch_id = \(batch)
                    """, logger: logger)
            }
            try await connection.query(
                """
                UPDATE emergency_reviews SET chain_state = \(unescaped: LogState.confirmed.sql), tx_hash = \(tx), block_number = \(block)
                WHERE batch_id = \(batch) AND chain_state = \(unescaped: LogState.submitted.sql)
                """, logger: logger)
            // Every row of the batch must be in its receipt: one left `submitted` in a finished
            // batch would never be sent again.
            var missing: Int64 = 0
            for try await count in try await connection.query(
                "SELECT count(*) FROM access_log WHERE batch_id = \(batch) AND chain_state = \(unescaped: LogState.submitted.sql)", logger: logger
            ).decode(Int64.self) { missing = count }
            guard missing == 0 else {
                throw GatewayError(.unexpectedDatabaseState, "the receipt of batch \(batch) does not hold \(missing) of its access rows")
            }
            if !entryLogs.isEmpty { try await Self.recheck(from: block, on: connection, logger: logger) }
            return oldest.map { clock.now().timeIntervalSince($0) } ?? 0
        }
    }

    /// Gives up on a batch whose nonce went to another transaction or that reverted: its rows go
    /// back to the queue and give their numbers back (if the batch was in fact logged, the
    /// contract refuses the next batch as out of sequence, and the writer finds these rows'
    /// entries on-chain).
    package func drop(batch: Int64) async throws {
        try await writerTransaction { connection in
            try await connection.query("UPDATE outbox_batches SET state = \(unescaped: BatchState.dropped.sql), finished_at = now() WHERE id = \(batch)", logger: logger)
            try await connection.query(
                "UPDATE access_log SET chain_state = \(unescaped: LogState.pending.sql), batch_id = NULL, sequence = NULL WHERE batch_id = \(batch) AND chain_state = \(unescaped: LogState.submitted.sql)",
                logger: logger)
            try await connection.query(
                "UPDATE record_anchors SET chain_state = \(unescaped: LogState.pending.sql), batch_id = NULL WHERE batch_id = \(batch) AND chain_state = \(unescaped: LogState.submitted.sql)",
                logger: logger)
            try await connection.query(
                "UPDATE emergency_reviews SET chain_state = \(unescaped: LogState.pending.sql), batch_id = NULL WHERE batch_id = \(batch) AND chain_state = \(unescaped: LogState.submitted.sql)",
                logger: logger)
        }
    }

    /// Marks a row whose entry the writer found on-chain outside a batch it saw confirmed.
    package func confirmEntry(_ requestId: Bytes32, tx: Bytes32, block: UInt64, logIndex: UInt64, logged: LoggedEntry) async throws {
        try await writerTransaction { connection in
            try await connection.query(
                """
                UPDATE access_log SET chain_state = \(unescaped: LogState.confirmed.sql), tx_hash = \(tx.buffer), block_number = \(Int64(block)),
                    log_index = \(Int32(logIndex)), sequence = \(Int64(clamping: logged.sequence)), batch_id = NULL,
                    chain_error = \(logged.withoutGrant ? Self.servedWithoutGrant : nil)
                WHERE request_id = \(requestId.buffer)
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
        try await writerTransaction { connection in
            try await connection.query(
                """
                UPDATE record_anchors SET chain_state = \(unescaped: LogState.confirmed.sql), tx_hash = \(tx?.buffer), block_number = \(Int64(block)),
                    log_index = \(logIndex.map { Int32($0) }) WHERE record_id = \(recordId.buffer)
                """, logger: logger)
        }
    }

    package func rejectEntry(_ requestId: Bytes32, error: String) async throws {
        try await writerTransaction { connection in
            try await connection.query(
                "UPDATE access_log SET chain_state = \(unescaped: LogState.rejected.sql), chain_error = \(error), batch_id = NULL WHERE request_id = \(requestId.buffer)",
                logger: logger)
        }
    }

    package func rejectAnchor(_ recordId: Bytes32, error: String) async throws {
        try await writerTransaction { connection in
            try await connection.query(
                "UPDATE record_anchors SET chain_state = \(unescaped: LogState.rejected.sql), chain_error = \(error), batch_id = NULL WHERE record_id = \(recordId.buffer)",
                logger: logger)
        }
    }
}
