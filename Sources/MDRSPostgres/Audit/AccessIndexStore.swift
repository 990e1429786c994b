import EthereumCore
import Logging
import MDRSCore
import MDRSProtocol
import NIOCore
import PostgresNIO

/// The gateway's index of this custodian's on-chain `Accessed` events (`chain_accesses`), how
/// far it has read (`chain_index_state`) and the recent blocks' hashes that tell where a
/// reorganisation forked (`chain_index_blocks`).
package struct AccessIndexStore: Sendable {
    /// How far the index and the check have got; -1 before the first block read.
    package struct Position: Equatable, Sendable {
        package let indexedThrough: Int64
        package let checkedThrough: Int64
        /// The hash of block `indexedThrough` as it was read.
        package let hash: Bytes32?

        package init(indexedThrough: Int64, checkedThrough: Int64, hash: Bytes32?) {
            self.indexedThrough = indexedThrough
            self.checkedThrough = checkedThrough
            self.hash = hash
        }
    }

    /// Recent window ends kept for finding a fork; a deeper reorganisation re-reads everything.
    static let keptBlocks = 256

    let client: PostgresDatabase
    let contract: Address
    let custodian: Address
    /// The first block read (the contract's deployment, or `audit.from_block`).
    let fromBlock: UInt64
    let logger: Logger

    static let columns = """
        request_id, token, record_id, staff, patient, purpose, outcome, accessed_at, commitment, block_number, block_hash, log_index, tx_hash, sequence
        """

    package init(client: some PostgresDatabaseConvertible, contract: Address, custodian: Address, fromBlock: UInt64, logger: Logger) {
        self.client = client.database
        self.contract = contract
        self.custodian = custodian
        self.fromBlock = fromBlock
        self.logger = logger
    }

    var start: Int64 { Int64(clamping: fromBlock) - 1 }

    /// Where the index stands: one indexed read. The first time (or for an index of another
    /// contract, custodian or start block, which is dropped) it is set up to read from `fromBlock`.
    package func position() async throws -> Position {
        let rows = try await client.query(Self.positionQuery(lock: false), logger: logger)
        for try await row in rows.decode((ByteBuffer, ByteBuffer, Int64, Int64, Int64, ByteBuffer?).self) {
            if let position = try current(row) { return position }
        }
        return try await prepare()
    }

    static func positionQuery(lock: Bool) -> PostgresQuery {
        PostgresQuery(unsafeSQL: """
            SELECT contract, custodian, from_block, indexed_through, checked_through,
                (SELECT hash FROM chain_index_blocks WHERE number = indexed_through)
            FROM chain_index_state\(lock ? " FOR UPDATE" : "")
            """)
    }

    /// The position in `row`, if it is this index's.
    private func current(_ row: (ByteBuffer, ByteBuffer, Int64, Int64, Int64, ByteBuffer?)) throws -> Position? {
        let (contract, custodian, from, indexed, checked, hash) = row
        guard (try Address(buffer: contract), try Address(buffer: custodian), from) == (self.contract, self.custodian, Int64(clamping: fromBlock)) else {
            return nil
        }
        return Position(indexedThrough: indexed, checkedThrough: checked, hash: try hash.map { try Bytes32(buffer: $0) })
    }

    private func prepare() async throws -> Position {
        try await client.transaction(logger: logger) { connection in
            // Under the row lock: two gateways starting at once set it up once.
            let rows = try await connection.query(Self.positionQuery(lock: true), logger: logger)
            for try await row in rows.decode((ByteBuffer, ByteBuffer, Int64, Int64, Int64, ByteBuffer?).self) {
                if let position = try current(row) { return position }
                logger.notice("the audit index was made for another contract, custodian or start block: reading it again")
            }
            try await connection.query("TRUNCATE chain_accesses, chain_access_numbers, chain_index_blocks, audit_findings, chain_index_state", logger: logger)
            try await connection.query(
                """
                INSERT INTO chain_index_state (contract, custodian, from_block, indexed_through, checked_through)
                VALUES (\(self.contract.buffer), \(self.custodian.buffer), \(Int64(clamping: fromBlock)), \(start), \(start))
                """, logger: logger)
            return Position(indexedThrough: start, checkedThrough: start, hash: nil)
        }
    }

    /// The kept window ends at or below `block`, newest first.
    package func recentBlocks(atOrBelow block: Int64) async throws -> [(number: Int64, hash: Bytes32)] {
        let rows = try await client.query(
            "SELECT number, hash FROM chain_index_blocks WHERE number <= \(block) ORDER BY number DESC LIMIT \(Self.keptBlocks)", logger: logger)
        var blocks = [(number: Int64, hash: Bytes32)]()
        for try await (number, hash) in rows.decode((Int64, ByteBuffer).self) { blocks.append((number, try Bytes32(buffer: hash))) }
        return blocks
    }

    /// Adds the entries of blocks `previous + 1 ... through` and moves the index to `through`,
    /// whose hash is `hash`, in one transaction. False (nothing written) when another indexer
    /// moved it meanwhile.
    package func append(_ entries: [LoggedAccess], after previous: Int64, through: Int64, hash: Bytes32) async throws -> Bool {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query("SELECT indexed_through FROM chain_index_state FOR UPDATE", logger: logger)
            var current: Int64?
            for try await value in rows.decode(Int64.self) { current = value }
            guard current == previous else { return false }
            if !entries.isEmpty { try await Self.insert(entries, on: connection, logger: logger) }
            try await connection.query(
                "INSERT INTO chain_index_blocks (number, hash) VALUES (\(through), \(hash.buffer)) ON CONFLICT (number) DO UPDATE SET hash = EXCLUDED.hash",
                logger: logger)
            try await connection.query(
                """
                DELETE FROM chain_index_blocks WHERE number < (
                    SELECT number FROM chain_index_blocks ORDER BY number DESC OFFSET \(Self.keptBlocks - 1) LIMIT 1)
                """, logger: logger)
            try await connection.query(
                "UPDATE chain_index_state SET indexed_through = \(through), updated_at = now()", logger: logger)
            return true
        }
    }

    /// One statement for a window's entries, however many (a back-fill reads thousands).
    static func insert(_ read: [LoggedAccess], on connection: PostgresConnection, logger: Logger) async throws {
        // One row per request. The contract does not forbid a custodian to log a request id
        // twice: the first entry is kept here (a reorganisation that drops the later block then
        // leaves it standing), and every number goes to chain_access_numbers, where the check
        // finds the repeat (decisions §20).
        let entries = Array(Dictionary(read.map { ($0.entry.requestId, $0) }, uniquingKeysWith: { first, _ in first }).values)
        let e = entries.map(\.entry)
        // Arrays cannot hold NULL here: the zero address stands for "no patient named".
        try await connection.query(
            """
            INSERT INTO chain_accesses (\(unescaped: Self.columns))
            SELECT request_id, token, record_id, staff, NULLIF(patient, '\\x0000000000000000000000000000000000000000'::bytea),
                purpose, outcome, accessed_at, commitment, block_number, block_hash, log_index, tx_hash, sequence
            FROM unnest(\(e.map(\.requestId.buffer)), \(e.map(\.token.buffer)), \(e.map(\.recordId.buffer)), \(e.map(\.staff.buffer)),
                \(entries.map(\.patient.buffer)), \(e.map { Int16($0.purpose) }), \(e.map { Int16($0.outcome) }),
                \(e.map { Int64(clamping: $0.accessedAt) }), \(e.map(\.commitment.buffer)), \(entries.map { Int64(clamping: $0.blockNumber) }),
                \(entries.map(\.blockHash.buffer)), \(entries.map { Int32(clamping: $0.logIndex) }), \(entries.map(\.transactionHash.buffer)),
                \(entries.map { Int64(clamping: $0.sequence) }))
                AS logged (request_id, token, record_id, staff, patient, purpose, outcome, accessed_at, commitment, block_number,
                    block_hash, log_index, tx_hash, sequence)
            ON CONFLICT (request_id) DO NOTHING
            """, logger: logger)
        try await insertNumbers(read, on: connection, logger: logger)
    }

    /// Every entry's number, with the earlier number of the same request id when there is one.
    static func insertNumbers(_ read: [LoggedAccess], on connection: PostgresConnection, logger: Logger) async throws {
        // The contract numbers a custodian's entries once each; a node that answered otherwise
        // must not wedge the index, so the last answer for a number stands.
        let numbered = Array(Dictionary(
            read.filter { $0.sequence > 0 && $0.sequence <= UInt64(Int64.max) }.map { ($0.sequence, $0) },
            uniquingKeysWith: { _, last in last }).values)
        guard !numbered.isEmpty else { return }
        let sequences = numbered.map { Int64(clamping: $0.sequence) }
        try await connection.query(
            """
            INSERT INTO chain_access_numbers (sequence, request_id, block_number)
            SELECT * FROM unnest(\(sequences), \(numbered.map(\.entry.requestId.buffer)), \(numbered.map { Int64(clamping: $0.blockNumber) }))
            ON CONFLICT (sequence) DO UPDATE SET request_id = EXCLUDED.request_id, block_number = EXCLUDED.block_number
            """, logger: logger)
        try await connection.query(
            """
            UPDATE chain_access_numbers AS later SET repeats = (
                SELECT max(earlier.sequence) FROM chain_access_numbers AS earlier
                WHERE earlier.request_id = later.request_id AND earlier.sequence < later.sequence)
            WHERE later.sequence = ANY(\(sequences))
            """, logger: logger)
    }

    /// Forgets everything read after block `fork` (a reorganisation replaced those blocks), and
    /// what the check found there.
    package func rewind(to fork: Int64) async throws {
        let fork = max(fork, start)
        try await client.transaction(logger: logger) { connection in
            try await connection.query("SELECT 1 FROM chain_index_state FOR UPDATE", logger: logger)
            try await connection.query("DELETE FROM chain_accesses WHERE block_number > \(fork)", logger: logger)
            try await connection.query("DELETE FROM chain_access_numbers WHERE block_number > \(fork)", logger: logger)
            try await connection.query("DELETE FROM chain_index_blocks WHERE number > \(fork)", logger: logger)
            try await connection.query("DELETE FROM audit_findings WHERE block_number > \(fork)", logger: logger)
            try await connection.query(
                """
                UPDATE chain_index_state SET indexed_through = LEAST(indexed_through, \(fork)),
                    checked_through = LEAST(checked_through, \(fork)), updated_at = now()
                """, logger: logger)
        }
    }

    /// The first `filter.limit + 1` entries matching `filter` after its cursor, in key order.
    package func page(_ filter: AuditFilter) async throws -> [LoggedAccess] {
        var query = PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM chain_accesses WHERE true")
        try query.appendPage(filter)
        return try await entries(query)
    }

    /// The entries of these requests, by request id.
    package func entries(requestIds: some Collection<Bytes32>) async throws -> [Bytes32: LoggedAccess] {
        guard !requestIds.isEmpty else { return [:] }
        let ids = requestIds.map(\.buffer)
        let entries = try await entries("SELECT \(unescaped: Self.columns) FROM chain_accesses WHERE request_id = ANY(\(ids))")
        return Dictionary(entries.map { ($0.entry.requestId, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The entries in blocks `after + 1 ... through`.
    package func entries(after: Int64, through: Int64) async throws -> [LoggedAccess] {
        try await entries("SELECT \(unescaped: Self.columns) FROM chain_accesses WHERE block_number > \(after) AND block_number <= \(through)")
    }

    /// The block of the `count`-th entry after block `after` (nil if there are fewer).
    package func block(ofEntry count: Int, after: Int64) async throws -> Int64? {
        let rows = try await client.query(
            "SELECT block_number FROM chain_accesses WHERE block_number > \(after) ORDER BY block_number OFFSET \(count - 1) LIMIT 1",
            logger: logger)
        for try await block in rows.decode(Int64.self) { return block }
        return nil
    }

    package func count() async throws -> Int {
        for try await count in try await client.query("SELECT count(*) FROM chain_accesses", logger: logger).decode(Int64.self) {
            return Int(count)
        }
        return 0
    }

    private func entries(_ query: PostgresQuery) async throws -> [LoggedAccess] {
        var entries = [LoggedAccess]()
        for try await row in try await client.query(query, logger: logger) {
            let (requestId, token, recordId, staff, patient, purpose, outcome, accessedAt, commitment, block, blockHash, logIndex, tx, sequence) =
                try row.decode((ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer?, Int16, Int16, Int64, ByteBuffer, Int64, ByteBuffer, Int32, ByteBuffer, Int64?).self)
            let entry = AccessEntry(
                requestId: try Bytes32(buffer: requestId), token: try Bytes32(buffer: token), recordId: try Bytes32(buffer: recordId),
                staff: try Address(buffer: staff), purpose: UInt8(truncatingIfNeeded: purpose), outcome: UInt8(truncatingIfNeeded: outcome),
                accessedAt: UInt64(max(accessedAt, 0)), commitment: try Bytes32(buffer: commitment))
            entries.append(LoggedAccess(
                entry: entry, patient: try patient.map { try Address(buffer: $0) } ?? .zero, transactionHash: try Bytes32(buffer: tx),
                blockNumber: UInt64(max(block, 0)), blockHash: try Bytes32(buffer: blockHash), logIndex: UInt64(max(logIndex, 0)),
                sequence: UInt64(max(sequence ?? 0, 0))))
        }
        return entries
    }
}
