import EthereumCore
import Foundation
import MDRSProtocol
import NIOCore
import PostgresNIO

extension OutboxStore {
    // MARK: Emergency reviews

    /// An auditor's review waiting to be recorded on-chain (`reviewEmergency`).
    package struct PendingReview: Sendable {
        package let emergency: Bytes32
        package let reviewer: Address
        package let verdict: UInt8
        package let noteHash: Bytes32
    }

    /// The oldest review waiting for the chain; nil if none.
    package func pendingReview() async throws -> PendingReview? {
        let rows = try await client.query(
            """
            SELECT emergency, reviewer, verdict, note_hash FROM emergency_reviews
            WHERE chain_state = \(unescaped: LogState.pending.sql) ORDER BY reviewed_at, emergency LIMIT 1
            """, logger: logger)
        for try await (emergency, reviewer, verdict, noteHash) in rows.decode((ByteBuffer, ByteBuffer, Int16, ByteBuffer).self) {
            return PendingReview(
                emergency: try Bytes32(buffer: emergency), reviewer: try Address(buffer: reviewer), verdict: UInt8(truncatingIfNeeded: verdict),
                noteHash: try Bytes32(buffer: noteHash))
        }
        return nil
    }

    /// Marks a pending review the chain already holds as this custodian recorded it
    /// (`confirmedAt`, a transaction that landed unseen), or keeps one the contract refuses as
    /// `rejected` with `error`.
    package func settleReview(_ emergency: Bytes32, confirmedAt block: UInt64?, error: String? = nil) async throws {
        let state = block == nil ? LogState.rejected : LogState.confirmed
        try await writerTransaction { connection in
            try await connection.query(
                """
                UPDATE emergency_reviews SET chain_state = \(unescaped: state.sql), block_number = \(block.map { Int64(clamping: $0) }),
                    chain_error = \(error), batch_id = NULL
                WHERE emergency = \(emergency.buffer) AND chain_state = \(unescaped: LogState.pending.sql)
                """, logger: logger)
        }
    }
}
