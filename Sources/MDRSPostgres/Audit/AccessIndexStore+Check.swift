import EthereumCore
import MDRSCore
import MDRSProtocol
import NIOCore
import PostgresNIO

extension AccessIndexStore {
    /// Records what the check found in blocks `after + 1 ... through` and moves the check there.
    /// False (nothing written) when another check, or a rewind, moved it meanwhile.
    package func recordCheck(_ findings: [AuditFinding], after: Int64, through: Int64) async throws -> Bool {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query("SELECT checked_through, indexed_through FROM chain_index_state FOR UPDATE", logger: logger)
            var current: (Int64, Int64)?
            for try await value in rows.decode((Int64, Int64).self) { current = value }
            guard let current, current.0 == after, current.1 >= through else { return false }
            for finding in findings {
                try await connection.query(
                    """
                    INSERT INTO audit_findings (request_id, kind, block_number)
                    VALUES (\(finding.requestId.buffer), \(finding.kind.rawValue), \(Int64(clamping: finding.blockNumber)))
                    ON CONFLICT (request_id, kind) DO UPDATE SET block_number = EXCLUDED.block_number
                    """, logger: logger)
            }
            try await connection.query("UPDATE chain_index_state SET checked_through = \(through)", logger: logger)
            return true
        }
    }

    /// Every finding of one kind: the count, and the first `limit` request ids.
    package func findings(_ kind: AuditFinding.Kind, limit: Int) async throws -> (count: Int, requestIds: [Bytes32]) {
        var count = 0
        for try await value in try await client.query(
            "SELECT count(*) FROM audit_findings WHERE kind = \(kind.rawValue)", logger: logger
        ).decode(Int64.self) { count = Int(value) }
        var ids = [Bytes32]()
        for try await id in try await client.query(
            "SELECT request_id FROM audit_findings WHERE kind = \(kind.rawValue) ORDER BY block_number, request_id LIMIT \(limit)", logger: logger
        ).decode(ByteBuffer.self) { ids.append(try Bytes32(buffer: id)) }
        return (count, ids)
    }

    /// Forgets what the check found and checks everything again from the first block.
    package func restartCheck() async throws {
        try await client.transaction(logger: logger) { connection in
            try await connection.query("SELECT 1 FROM chain_index_state FOR UPDATE", logger: logger)
            try await connection.query("DELETE FROM audit_findings", logger: logger)
            try await connection.query("UPDATE chain_index_state SET checked_through = \(start)", logger: logger)
        }
    }
}

extension AccessIndexStore {
    /// The numbers in `1 ... last` with no indexed entry, as runs (the first `limit`), with the
    /// count of numbered entries and of missing numbers. One pass over the sequence index.
    package func sequenceGaps(through last: UInt64, limit: Int) async throws -> (indexed: Int, missing: UInt64, gaps: [LogSequenceReport.Gap]) {
        let last = Int64(clamping: last)
        var (indexed, distinct) = (0, 0)
        for try await (all, numbers) in try await client.query(
            "SELECT count(*), count(DISTINCT sequence) FROM chain_accesses WHERE sequence BETWEEN 1 AND \(last)", logger: logger
        ).decode((Int64, Int64).self) { (indexed, distinct) = (Int(all), Int(numbers)) }
        var gaps = [LogSequenceReport.Gap]()
        // Each number's successor, with 0 before the first and last + 1 after the end, so gaps at
        // either end are found like any other.
        let rows = try await client.query(
            """
            SELECT number + 1, following - 1 FROM (
                SELECT number, lead(number) OVER (ORDER BY number) AS following FROM (
                    SELECT 0::bigint AS number
                    UNION ALL SELECT DISTINCT sequence FROM chain_accesses WHERE sequence BETWEEN 1 AND \(last)
                    UNION ALL SELECT \(last) + 1) AS numbers) AS runs
            WHERE following > number + 1 ORDER BY number LIMIT \(limit)
            """, logger: logger)
        for try await (from, through) in rows.decode((Int64, Int64).self) {
            gaps.append(LogSequenceReport.Gap(from: UInt64(from), through: UInt64(through)))
        }
        return (indexed, UInt64(max(0, last - Int64(distinct))), gaps)
    }
}
