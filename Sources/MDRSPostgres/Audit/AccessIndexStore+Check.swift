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
    /// Whether every number in `1 ... last` has an indexed entry: the count of numbered entries,
    /// the missing numbers as runs and the repeated request ids (the first `limit` of each, the
    /// counts complete). One pass over the numbers' primary key.
    package func sequenceReport(through last: UInt64, limit: Int) async throws -> LogSequenceReport {
        // One snapshot for the counts and the lists, so a rewind between them cannot make them disagree.
        try await client.transaction(logger: logger) { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            let last = Int64(clamping: last)
            var indexed = 0
            for try await count in try await connection.query(
                "SELECT count(*) FROM chain_access_numbers WHERE sequence BETWEEN 1 AND \(last)", logger: logger
            ).decode(Int64.self) { indexed = Int(count) }
            var gaps = [LogSequenceReport.Gap]()
            // Each number's successor, with 0 before the first and last + 1 after the end, so gaps at
            // either end are found like any other.
            let rows = try await connection.query(
                """
                SELECT number + 1, following - 1 FROM (
                    SELECT number, lead(number) OVER (ORDER BY number) AS following FROM (
                        SELECT 0::bigint AS number
                        UNION ALL SELECT sequence FROM chain_access_numbers WHERE sequence BETWEEN 1 AND \(last)
                        UNION ALL SELECT \(last) + 1) AS numbers) AS runs
                WHERE following > number + 1 ORDER BY number LIMIT \(limit)
                """, logger: logger)
            for try await (from, through) in rows.decode((Int64, Int64).self) {
                gaps.append(LogSequenceReport.Gap(from: UInt64(from), through: UInt64(through)))
            }
            var repeatedNumbers: UInt64 = 0
            for try await count in try await connection.query(
                "SELECT count(*) FROM chain_access_numbers WHERE repeats IS NOT NULL AND sequence <= \(last)", logger: logger
            ).decode(Int64.self) { repeatedNumbers = UInt64(max(count, 0)) }
            var repeats = [LogSequenceReport.Repeat]()
            for try await (sequence, earlier, requestId) in try await connection.query(
                """
                SELECT sequence, repeats, request_id FROM chain_access_numbers
                WHERE repeats IS NOT NULL AND sequence <= \(last) ORDER BY sequence LIMIT \(limit)
                """, logger: logger
            ).decode((Int64, Int64, ByteBuffer).self) {
                repeats.append(.init(sequence: UInt64(sequence), repeats: UInt64(earlier), requestId: try Bytes32(buffer: requestId).hex))
            }
            let missing = UInt64(max(0, last - Int64(indexed)))
            return LogSequenceReport(
                lastOnChain: UInt64(last), indexedEntries: indexed, complete: missing == 0, missingNumbers: missing, gaps: gaps,
                repeatedNumbers: repeatedNumbers, repeats: repeats)
        }
    }
}
