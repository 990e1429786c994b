import EthereumCore
import Foundation
import Logging
import MDRSCore
import MDRSProtocol
import NIOCore
import PostgresNIO

/// The emergencies (break-glass) this custodian released records in, and the auditors' reviews
/// of them.
package struct EmergencyStore: Sendable {
    let client: PostgresDatabase
    let clock: any WallClock
    let logger: Logger

    package init(client: some PostgresDatabaseConvertible, clock: any WallClock = SystemClock(), logger: Logger) {
        self.client = client.database
        self.clock = clock
        self.logger = logger
    }

    /// A review as signed, for the store.
    package struct SignedReview: Sendable {
        package let emergency: Bytes32
        package let reviewer: Address
        package let verdict: UInt8
        package let note: String
        package let nonce: Bytes32
        package let issuedAt: UInt64
        package let signature: [UInt8]

        package init(emergency: Bytes32, reviewer: Address, verdict: UInt8, note: String, nonce: Bytes32, issuedAt: UInt64, signature: [UInt8]) {
            self.emergency = emergency
            self.reviewer = reviewer
            self.verdict = verdict
            self.note = note
            self.nonce = nonce
            self.issuedAt = issuedAt
            self.signature = signature
        }

        /// SHA-256 of the note's UTF-8 text: what the chain holds of it.
        package var noteHash: Bytes32 { AccessPolicy.justificationHash(note) }
    }

    /// The emergencies released here, newest first: all of them, or only those `reviewed` (or not).
    package func queue(reviewed: Bool?, limit: Int = 500) async throws -> [EmergencyQueue.Emergency] {
        let condition: PostgresQuery = switch reviewed {
        case nil: "true"
        case true?: "r.emergency IS NOT NULL"
        case false?: "r.emergency IS NULL"
        }
        // Who, which record and why, from its first release; bytea has no min().
        var query: PostgresQuery = """
            SELECT agg.emergency, first.staff, first.patient, first.record_id, first.reason, first.justification, agg.releases,
                agg.first_at, agg.last_at, r.verdict, r.note, r.reviewer, r.issued_at, r.signature, r.tx_hash, r.block_number
            FROM (SELECT e.emergency, count(*) AS releases, min(a.accessed_at) AS first_at, max(a.accessed_at) AS last_at
                  FROM emergency_accesses e JOIN access_log a USING (request_id) GROUP BY e.emergency) AS agg
            JOIN LATERAL (SELECT a.staff, a.patient, a.record_id, e.reason, e.justification
                  FROM emergency_accesses e JOIN access_log a USING (request_id)
                  WHERE e.emergency = agg.emergency ORDER BY a.accessed_at, a.request_id LIMIT 1) AS first ON true
            LEFT JOIN emergency_reviews r ON r.emergency = agg.emergency
            WHERE
            """
        query.sql += " (" + condition.sql + ") ORDER BY agg.last_at DESC, agg.emergency LIMIT \(limit)"
        var found = [EmergencyQueue.Emergency]()
        for try await row in try await client.query(query, logger: logger) {
            let (id, staff, patient, record, reason, justification, releases, first, last, verdict, note, reviewer, issuedAt, signature, tx, block) =
                try row.decode((ByteBuffer, ByteBuffer, ByteBuffer?, ByteBuffer, Int16, String, Int64, Int64, Int64,
                    Int16?, String?, ByteBuffer?, Int64?, ByteBuffer?, ByteBuffer?, Int64?).self)
            let review = try verdict.map { verdict in
                EmergencyQueue.Review(
                    verdict: Int(verdict), verdictText: EmergencyQueue.Review.words(Int(verdict)), note: note ?? "",
                    reviewer: try reviewer.map { try Address(buffer: $0).checksummed } ?? "", reviewedAt: UInt64(max(issuedAt ?? 0, 0)),
                    signature: signature.map { Hex.encode(Array($0.readableBytesView)) } ?? "",
                    transactionHash: try tx.map { try Bytes32(buffer: $0).hex }, blockNumber: block.map { UInt64(max($0, 0)) })
            }
            let code = UInt8(truncatingIfNeeded: reason)
            found.append(EmergencyQueue.Emergency(
                id: try Bytes32(buffer: id).hex, staff: try Address(buffer: staff).checksummed, patient: try patient.map { try Address(buffer: $0).checksummed },
                recordId: try Bytes32(buffer: record).hex, reason: Int(code), reasonText: EmergencyReason(rawValue: code)?.words,
                justification: justification, releases: Int(releases), firstReleasedAt: UInt64(max(first, 0)), lastReleasedAt: UInt64(max(last, 0)),
                review: review))
        }
        return found
    }

    /// Whether a record was released here in the emergency `id`.
    package func releasedIn(_ id: Bytes32) async throws -> Bool {
        let rows = try await client.query("SELECT 1 FROM emergency_accesses WHERE emergency = \(id.buffer) LIMIT 1", logger: logger)
        for try await _ in rows.decode(Int32.self) { return true }
        return false
    }

    /// Keeps a review, durable when it returns; false if the emergency was reviewed already.
    package func insert(_ review: SignedReview) async throws -> Bool {
        try await client.transaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO emergency_reviews (emergency, reviewer, verdict, note, note_hash, nonce, issued_at, signature, reviewed_at)
                VALUES (\(review.emergency.buffer), \(review.reviewer.buffer), \(Int16(review.verdict)), \(review.note), \(review.noteHash.buffer),
                    \(review.nonce.buffer), \(Int64(clamping: review.issuedAt)), \(ByteBuffer(bytes: review.signature)), \(clock.now()))
                ON CONFLICT (emergency) DO NOTHING RETURNING 1
                """, logger: logger
            ).collect().count == 1
        }
    }
}
