import EthereumCore
import Foundation
import Logging
import MDRSCore
import MDRSProtocol
import NIOCore
import PostgresNIO

/// Reads this custodian's access rows for the audit: pages of them, and what the consistency
/// check compares with the chain.
package struct AccessLogStore: Sendable {
    package let client: PostgresDatabase
    let custodian: Address
    let logger: Logger

    static let columns = """
        request_id, token, record_id, staff, patient, purpose, outcome, reason, accessed_at, range_start, range_end,
        signature_hash, commitment, chain_state, block_number, client_address
        """

    package init(client: some PostgresDatabaseConvertible, custodian: Address, logger: Logger) {
        self.client = client.database
        self.custodian = custodian
        self.logger = logger
    }

    /// Whether this custodian holds a record of `patient` or has logged an access naming them
    /// (two indexed lookups, nothing written).
    package func knows(patient: Address) async throws -> Bool {
        let rows = try await client.query(
            """
            SELECT EXISTS (SELECT 1 FROM records WHERE patient = \(patient.buffer))
                OR EXISTS (SELECT 1 FROM access_log WHERE patient = \(patient.buffer))
            """, logger: logger)
        for try await known in rows.decode(Bool.self) { return known }
        return false
    }

    /// The first `filter.limit + 1` rows matching `filter` after its cursor, in key order.
    package func page(_ filter: AuditFilter) async throws -> [LocalAccess] {
        var query = PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM access_log WHERE true")
        try query.appendPage(filter)
        return try await rows(query)
    }

    /// The rows of these requests, by request id.
    package func rows(requestIds: some Collection<Bytes32>) async throws -> [Bytes32: LocalAccess] {
        guard !requestIds.isEmpty else { return [:] }
        let ids = requestIds.map(\.buffer)
        let rows = try await rows("SELECT \(unescaped: Self.columns) FROM access_log WHERE request_id = ANY(\(ids))")
        return Dictionary(rows.map { ($0.access.requestId, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The rows the outbox saw confirmed in blocks `after + 1 ... through`.
    package func confirmed(after: Int64, through: Int64) async throws -> [LocalAccess] {
        try await rows(
            """
            SELECT \(unescaped: Self.columns) FROM access_log
            WHERE chain_state = \(unescaped: LogState.confirmed.sql) AND block_number > \(after) AND block_number <= \(through)
            """)
    }

    /// The newest block in which the outbox saw a row confirmed (nil before the first): the
    /// audit index must have read at least that far before an answer calls a row missing.
    package func lastConfirmedBlock() async throws -> Int64? {
        let rows = try await client.query(
            "SELECT max(block_number) FROM access_log WHERE chain_state = \(unescaped: LogState.confirmed.sql)", logger: logger)
        for try await block in rows.decode(Int64?.self) { return block }
        return nil
    }

    /// The block of the `count`-th row confirmed after block `after` (nil if there are fewer):
    /// where a check's window of about `count` rows ends.
    package func block(ofConfirmed count: Int, after: Int64) async throws -> Int64? {
        let rows = try await client.query(
            """
            SELECT block_number FROM access_log WHERE chain_state = \(unescaped: LogState.confirmed.sql) AND block_number > \(after)
            ORDER BY block_number OFFSET \(count - 1) LIMIT 1
            """, logger: logger)
        for try await block in rows.decode(Int64.self) { return block }
        return nil
    }

    /// Rows not yet on-chain as far as the index has read: pending or submitted, or confirmed
    /// in a block after `indexedThrough`. The count, and the first `limit` request ids.
    package func waiting(indexedThrough: Int64, limit: Int) async throws -> (count: Int, requestIds: [Bytes32]) {
        try await requestIds(
            """
            chain_state IN (\(unescaped: LogState.pending.sql), \(unescaped: LogState.submitted.sql))
                OR (chain_state = \(unescaped: LogState.confirmed.sql) AND block_number > \(indexedThrough))
            """, limit: limit)
    }

    /// Served rows not on-chain yet (pending or submitted) written before `cutoff` (the gateway's
    /// clock): the count, and the first `limit` request ids.
    package func overdue(before cutoff: Date, limit: Int) async throws -> (count: Int, requestIds: [Bytes32]) {
        try await requestIds(
            """
            outcome IN (1, 20) AND chain_state IN (\(unescaped: LogState.pending.sql), \(unescaped: LogState.submitted.sql))
                AND created_at < \(cutoff)
            """, limit: limit)
    }

    /// Rows the contract refused: the count, and the first `limit` request ids.
    package func rejected(limit: Int) async throws -> (count: Int, requestIds: [Bytes32]) {
        // A served row the contract logged without a grant is on-chain, but not as a granted
        // release: it counts here too, like the refusal it replaced.
        try await requestIds("\(unescaped: OutboxStore.unaccounted)", limit: limit)
    }

    /// How many rows are meant for the chain (all but local-only ones).
    package func countMeantForChain() async throws -> Int {
        let rows = try await client.query(
            "SELECT count(*) FROM access_log WHERE chain_state <> \(unescaped: LogState.localOnly.sql)", logger: logger)
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }

    private func requestIds(_ condition: PostgresQuery, limit: Int) async throws -> (count: Int, requestIds: [Bytes32]) {
        var counting = condition
        counting.sql = "SELECT count(*) FROM access_log WHERE " + condition.sql
        var count = 0
        for try await value in try await client.query(counting, logger: logger).decode(Int64.self) { count = Int(value) }
        var listing = condition
        listing.sql = "SELECT request_id FROM access_log WHERE (" + condition.sql + ") ORDER BY request_id LIMIT \(limit)"
        var ids = [Bytes32]()
        for try await id in try await client.query(listing, logger: logger).decode(ByteBuffer.self) { ids.append(try Bytes32(buffer: id)) }
        return (count, ids)
    }

    /// What is kept of the releases among `requestIds` made in a declared emergency.
    package func emergencies(requestIds: some Collection<Bytes32>) async throws -> [Bytes32: EmergencyRelease] {
        guard !requestIds.isEmpty else { return [:] }
        var found = [Bytes32: EmergencyRelease]()
        let rows = try await client.query(
            "SELECT request_id, emergency, reason, justification FROM emergency_accesses WHERE request_id = ANY(\(requestIds.map(\.buffer)))",
            logger: logger)
        for try await (requestId, emergency, reason, justification) in rows.decode((ByteBuffer, ByteBuffer, Int16, String).self) {
            found[try Bytes32(buffer: requestId)] = EmergencyRelease(
                emergency: try Bytes32(buffer: emergency), reason: UInt8(truncatingIfNeeded: reason), justification: justification)
        }
        return found
    }

    private func rows(_ query: PostgresQuery) async throws -> [LocalAccess] {
        var entries = [LocalAccess]()
        for try await row in try await client.query(query, logger: logger) {
            let (requestId, token, recordId, staff, patient, purpose, outcome, reason, accessedAt, rangeStart, rangeEnd, signatureHash, commitment, state, block, client) =
                try row.decode((ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer?, Int16, Int16, String, Int64, Int64?, Int64?, ByteBuffer, ByteBuffer, LogState, Int64?, String?).self)
            let access = AccessRecord(
                requestId: try Bytes32(buffer: requestId), token: try Bytes32(buffer: token), recordId: try Bytes32(buffer: recordId),
                staff: try Address(buffer: staff), patient: try patient.map { try Address(buffer: $0) }, custodian: custodian,
                purpose: UInt8(truncatingIfNeeded: purpose), outcome: AccessOutcome(rawValue: UInt8(truncatingIfNeeded: outcome)) ?? .refused,
                reason: reason, accessedAt: UInt64(max(accessedAt, 0)), rangeStart: rangeStart, rangeEnd: rangeEnd,
                signatureHash: try Bytes32(buffer: signatureHash))
            entries.append(LocalAccess(
                access: access, storedCommitment: try Bytes32(buffer: commitment), chainState: state,
                blockNumber: block.map { UInt64(max($0, 0)) }, clientAddress: client))
        }
        return entries
    }
}
