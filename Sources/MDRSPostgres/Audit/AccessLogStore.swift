import EthereumCore
import Logging
import MDRSCore
import MDRSProtocol
import NIOCore
import PostgresNIO

/// Reads this custodian's access rows for the auditor.
package struct AccessLogStore: Sendable {
    let client: PostgresClient
    let custodian: Address
    let logger: Logger

    package init(client: PostgresClient, custodian: Address, logger: Logger) {
        self.client = client
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

    /// The rows matching `filter`, by request id.
    package func rows(_ filter: AuditFilter) async throws -> [Bytes32: LocalAccess] {
        var query: PostgresQuery = """
            SELECT request_id, token, record_id, staff, patient, purpose, outcome, reason, accessed_at, range_start,
                range_end, signature_hash, commitment, chain_state
            FROM access_log WHERE accessed_at >= \(Int64(min(filter.from ?? 0, UInt64(Int64.max)))) AND accessed_at <= \(Int64(min(filter.to ?? UInt64(Int64.max), UInt64(Int64.max))))
            """
        if let record = filter.record { query.sql += " AND record_id = $\(query.binds.count + 1)"; try query.binds.append(record.buffer, context: .default) }
        if let staff = filter.staff { query.sql += " AND staff = $\(query.binds.count + 1)"; try query.binds.append(staff.buffer, context: .default) }
        if let patient = filter.patient { query.sql += " AND patient = $\(query.binds.count + 1)"; try query.binds.append(patient.buffer, context: .default) }
        let rows = try await client.query(query, logger: logger)
        var entries = [Bytes32: LocalAccess]()
        for try await row in rows {
            let (requestId, token, recordId, staff, patient, purpose, outcome, reason, accessedAt, rangeStart, rangeEnd, signatureHash, commitment, state) =
                try row.decode((ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer?, Int16, Int16, String, Int64, Int64?, Int64?, ByteBuffer, ByteBuffer, LogState).self)
            let access = AccessRecord(
                requestId: try Bytes32(buffer: requestId), token: try Bytes32(buffer: token), recordId: try Bytes32(buffer: recordId),
                staff: try Address(buffer: staff), patient: try patient.map { try Address(buffer: $0) }, custodian: custodian,
                purpose: UInt8(truncatingIfNeeded: purpose), outcome: AccessOutcome(rawValue: UInt8(truncatingIfNeeded: outcome)) ?? .refused,
                reason: reason, accessedAt: UInt64(accessedAt), rangeStart: rangeStart, rangeEnd: rangeEnd,
                signatureHash: try Bytes32(buffer: signatureHash))
            entries[access.requestId] = LocalAccess(access: access, storedCommitment: try Bytes32(buffer: commitment), chainState: state)
        }
        return entries
    }
}
