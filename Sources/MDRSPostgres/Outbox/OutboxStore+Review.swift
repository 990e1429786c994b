import EthereumCore
import Foundation
import MDRSProtocol
import NIOCore
import PostgresNIO

/// The rows of the log that need a person or the janitor: rejected served accesses awaiting
/// review, tallies of refusals over budget, and what retention deletes.
extension OutboxStore {
    /// A served access the contract refused to log, or logged as served without a grant the
    /// chain holds, not yet reviewed.
    public struct Rejection: Sendable {
        public let requestId: Bytes32
        public let recordId: Bytes32
        public let staff: Address
        public let accessedAt: UInt64
        public let error: String?
    }

    /// The served accesses the contract refused, or logged without a grant, that no operator has
    /// reviewed yet.
    public func unreviewedRejections() async throws -> [Rejection] {
        let rows = try await client.query(
            """
            SELECT request_id, record_id, staff, accessed_at, chain_error FROM access_log
            WHERE \(unescaped: Self.incident) AND reviewed_at IS NULL ORDER BY created_at
            """, logger: logger)
        var rejections = [Rejection]()
        for try await (requestId, recordId, staff, accessedAt, error) in rows.decode((ByteBuffer, ByteBuffer, ByteBuffer, Int64, String?).self) {
            rejections.append(Rejection(
                requestId: try Bytes32(buffer: requestId), recordId: try Bytes32(buffer: recordId), staff: try Address(buffer: staff),
                accessedAt: UInt64(accessedAt), error: error))
        }
        return rejections
    }

    /// Records an operator's review of a rejected served access; false if there is no such
    /// unreviewed row.
    public func review(_ requestId: Bytes32, note: String) async throws -> Bool {
        try await client.query(
            """
            UPDATE access_log SET reviewed_at = \(clock.now()), review_note = \(note)
            WHERE request_id = \(requestId.buffer) AND \(unescaped: Self.incident) AND reviewed_at IS NULL RETURNING 1
            """, logger: logger
        ).collect().count == 1
    }

    /// A row the chain does not hold as the gateway decided it: refused by the contract, or
    /// logged as served without a grant.
    package static let unaccounted = """
        (chain_state = \(LogState.rejected.sql) OR (chain_state = \(LogState.confirmed.sql) AND chain_error = '\(servedWithoutGrant)'))
        """

    /// A served row the chain does not account for as a granted release.
    static let incident = "outcome IN (1, 20) AND \(unaccounted)"

    /// Adds refusals that were only counted to their (signer, minute, reason) tallies.
    func addTallies(_ tallies: [Address: [String: Int]], minute: Date) async throws {
        let minute = Date(timeIntervalSince1970: (minute.timeIntervalSince1970 / 60).rounded(.down) * 60)
        for (signer, reasons) in tallies {
            for (reason, count) in reasons {
                try await client.query(
                    """
                    INSERT INTO refusal_tallies (signer, minute, reason, count) VALUES (\(signer.buffer), \(minute), \(reason), \(Int32(clamping: count)))
                    ON CONFLICT (signer, minute, reason) DO UPDATE SET count = refusal_tallies.count + EXCLUDED.count
                    """, logger: logger)
            }
        }
    }

    /// Deletes stale and replayed requests' rows (`local_only` with reason `request_stale` or
    /// `nonce_reused`: anyone holding one signed request can make them) created more than `age`
    /// before `now`. Every other row is a decision about a person and is kept: rows meant for
    /// the chain, and local-only denials (of other hospitals' staff, or all denials when
    /// on-chain denial logging is off). `created_at` is on the gateway's clock, like `now`.
    @discardableResult
    func purgeLocalOnly(olderThan age: Duration, now: Date) async throws -> Int {
        let cutoff = now.addingTimeInterval(-age.seconds)
        try await client.query("DELETE FROM refusal_tallies WHERE minute < \(cutoff)", logger: logger)
        return try await client.query(
            """
            DELETE FROM access_log WHERE chain_state = \(unescaped: LogState.localOnly.sql) AND reason IN ('request_stale', 'nonce_reused')
                AND created_at < \(cutoff) RETURNING 1
            """, logger: logger
        ).collect().count
    }
}
