import BigInt
import EthereumCore
import EthereumRPC
import Foundation
import Logging
import MDRSCore
import MDRSProtocol
import NIOCore
import PostgresNIO

/// The outbox's rows in PostgreSQL: access entries and record anchors waiting for the chain,
/// and the batches (transactions) that carry them.
public struct OutboxStore: Sendable {
    package let client: PostgresDatabase
    /// The gateway's clock: row times, send times and ages all come from it.
    package let clock: any WallClock
    let logger: Logger
    /// This process's hold on the right to write the log: every writer-side write checks it.
    package let lease: WriterLease

    public init(client: some PostgresDatabaseConvertible, clock: any WallClock = SystemClock(), lease: WriterLease = WriterLease(), logger: Logger) {
        self.client = client.database
        self.clock = clock
        self.lease = lease
        self.logger = logger
    }

    struct PendingAnchor: Sendable {
        let input: RecordAnchorInput
    }

    package struct OpenBatch: Sendable {
        package let id: Int64
        package let accountNonce: UInt64
        package let state: BatchState
        package let lastSentAt: Date
        /// Hashes of the signed versions, oldest first.
        package let hashes: [Bytes32]
        /// The newest signed version.
        package let latestRaw: [UInt8]?
        let anchors: [Bytes32]
        let entries: [Bytes32]
    }

    // MARK: Writing rows

    /// Records a fetch decision. `onChain` false keeps it local only. Durable when it returns
    /// (an explicit COMMIT, as for ``insert(_:onChain:claiming:)``).
    package func insert(_ access: AccessRecord, onChain: Bool, clientAddress: String? = nil) async throws {
        let statement = InsertAccess(access: access, state: onChain ? .pending : .localOnly, now: clock.now(), clientAddress: clientAddress)
        try await client.transaction(logger: logger) { connection in
            for try await _ in try await connection.execute(statement, logger: logger) {}
        }
    }

    /// Claims the request's nonce and records the fetch decision in one statement: the row is
    /// written only if the nonce was unused. Returns false, with nothing written, if it was used
    /// before. Returns true only once the row is durable.
    ///
    /// The statement runs inside BEGIN ... COMMIT, not on its own: an implicit transaction commits
    /// at the protocol's Sync, *after* the statement's CommandComplete, and PostgresNIO reports
    /// success on CommandComplete. A server killed between the two (`pg_ctl stop -m immediate`
    /// flushes the buffered CommandComplete with its farewell) would have the release go ahead
    /// on a row that was never committed. COMMIT's own CommandComplete is sent only after the
    /// commit is flushed to the WAL.
    ///
    /// A release in an emergency keeps its reason and justification in the same statement.
    package func insert(
        _ access: AccessRecord, onChain: Bool, clientAddress: String? = nil, emergency: EmergencyRelease? = nil, claiming nonce: NonceClaim
    ) async throws -> Bool {
        let state: LogState = onChain ? .pending : .localOnly
        let now = clock.now()
        return try await client.transaction(logger: logger) { connection in
            var claimed = false
            if let emergency {
                let statement = InsertEmergencyAccessClaimingNonce(
                    access: access, state: state, now: now, clientAddress: clientAddress, nonce: nonce, emergency: emergency)
                for try await _ in try await connection.execute(statement, logger: logger) { claimed = true }
            } else {
                let statement = InsertAccessClaimingNonce(access: access, state: state, now: now, clientAddress: clientAddress, nonce: nonce)
                for try await _ in try await connection.execute(statement, logger: logger) { claimed = true }
            }
            return claimed
        }
    }

    /// Claims the nonces of several releases and writes the served rows of those whose nonce was
    /// unused, in one statement inside BEGIN ... COMMIT (see ``insert(_:onChain:clientAddress:emergency:claiming:)``
    /// for why not an implicit transaction). The nonces must be distinct. Returns the request ids
    /// written, once they are durable; a release whose nonce was used has no row.
    package func insertServed(_ unordered: [(access: AccessRecord, clientAddress: String?, nonce: NonceClaim)]) async throws -> Set<Bytes32> {
        // In the primary key's order, so that two replicas' groups naming the same nonces take
        // their locks in the same order instead of deadlocking.
        let releases = unordered.sorted { first, second in
            first.nonce.signer == second.nonce.signer
                ? first.nonce.nonce.bytes.lexicographicallyPrecedes(second.nonce.nonce.bytes)
                : first.nonce.signer.bytes.lexicographicallyPrecedes(second.nonce.signer.bytes)
        }
        let a = releases.map(\.access)
        let now = clock.now()
        // Arrays cannot hold NULL here: empty bytes, -1 and "" stand for "none".
        let query: PostgresQuery = """
            WITH input AS (
                SELECT * FROM unnest(\(a.map(\.requestId.buffer)), \(a.map(\.token.buffer)), \(a.map(\.recordId.buffer)),
                    \(a.map(\.staff.buffer)), \(a.map { $0.patient?.buffer ?? ByteBuffer() }), \(a.map { Int16($0.purpose) }),
                    \(a.map { Int16($0.outcome.rawValue) }), \(a.map(\.reason)), \(a.map { Int64($0.accessedAt) }),
                    \(a.map { $0.rangeStart ?? -1 }), \(a.map { $0.rangeEnd ?? -1 }), \(a.map(\.signatureHash.buffer)),
                    \(a.map(\.commitment.buffer)), \(releases.map { $0.clientAddress ?? "" }), \(releases.map(\.nonce.signer.buffer)),
                    \(releases.map(\.nonce.nonce.buffer)), \(releases.map(\.nonce.expiry)))
                    AS t(request_id, token, record_id, staff, patient, purpose, outcome, reason, accessed_at, range_start, range_end,
                        signature_hash, commitment, client_address, signer, nonce, expires_at)
            ), claimed AS (
                INSERT INTO request_nonces (signer, nonce, expires_at) SELECT signer, nonce, expires_at FROM input
                ON CONFLICT DO NOTHING RETURNING signer, nonce
            )
            INSERT INTO access_log (\(unescaped: InsertAccess.columns))
            SELECT i.request_id, i.token, i.record_id, i.staff, NULLIF(i.patient, ''::bytea), i.purpose, i.outcome, i.reason, i.accessed_at,
                NULLIF(i.range_start, -1), NULLIF(i.range_end, -1), i.signature_hash, i.commitment, \(unescaped: LogState.pending.sql),
                \(now), NULLIF(i.client_address, '')
            FROM input AS i JOIN claimed AS c ON c.signer = i.signer AND c.nonce = i.nonce
            RETURNING request_id
            """
        return try await client.transaction(logger: logger) { connection in
            var written = Set<Bytes32>()
            for try await id in try await connection.query(query, logger: self.logger).decode(ByteBuffer.self) {
                written.insert(try Bytes32(buffer: id))
            }
            return written
        }
    }

    /// Prepared once per connection: a refusal's row, or a fetch whose nonce was claimed apart.
    struct InsertAccess: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO access_log (\(InsertAccess.columns))
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
            """
        static let bindingDataTypes: [PostgresDataType] = InsertAccess.accessTypes
        typealias Row = Void

        let access: AccessRecord
        let state: LogState
        let now: Date
        let clientAddress: String?

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 16)
            try Self.bindAccess(access, state: state, now: now, clientAddress: clientAddress, into: &bindings)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}

        /// The columns $1...$16 fill, in their order (every statement that writes an access row).
        static let columns = """
            request_id, token, record_id, staff, patient, purpose, outcome, reason, accessed_at, range_start, range_end, \
            signature_hash, commitment, chain_state, created_at, client_address
            """

        static let accessTypes: [PostgresDataType] = [
            .bytea, .bytea, .bytea, .bytea, .bytea, .int2, .int2, .text, .int8, .int8, .int8, .bytea, .bytea, .text, .timestamptz, .text,
        ]

        /// Binds $1...$16 in the column order of both statements.
        static func bindAccess(_ access: AccessRecord, state: LogState, now: Date, clientAddress: String?, into bindings: inout PostgresBindings) throws {
            bindings.append(access.requestId.buffer)
            bindings.append(access.token.buffer)
            bindings.append(access.recordId.buffer)
            bindings.append(access.staff.buffer)
            bindings.append(access.patient?.buffer)
            bindings.append(Int16(access.purpose))
            bindings.append(Int16(access.outcome.rawValue))
            bindings.append(access.reason)
            bindings.append(Int64(access.accessedAt))
            bindings.append(access.rangeStart)
            bindings.append(access.rangeEnd)
            bindings.append(access.signatureHash.buffer)
            bindings.append(access.commitment.buffer)
            try bindings.append(state)
            bindings.append(now)
            bindings.append(clientAddress)
        }
    }

    /// Prepared once per connection: every served fetch runs it. The nonce row and the access
    /// row commit together or not at all; a used nonce inserts neither (the CTE yields no row).
    struct InsertAccessClaimingNonce: PostgresPreparedStatement {
        static let sql = """
            WITH claimed AS (
                INSERT INTO request_nonces (signer, nonce, expires_at) VALUES ($17, $18, $19)
                ON CONFLICT DO NOTHING RETURNING 1
            )
            INSERT INTO access_log (\(InsertAccess.columns))
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16 FROM claimed
            RETURNING 1
            """
        static let bindingDataTypes: [PostgresDataType] = InsertAccess.accessTypes + [.bytea, .bytea, .timestamptz]
        typealias Row = Int32

        let access: AccessRecord
        let state: LogState
        let now: Date
        let clientAddress: String?
        let nonce: NonceClaim

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 19)
            try InsertAccess.bindAccess(access, state: state, now: now, clientAddress: clientAddress, into: &bindings)
            bindings.append(nonce.signer.buffer)
            bindings.append(nonce.nonce.buffer)
            bindings.append(nonce.expiry)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Int32 { try row.decode(Int32.self) }
    }

    /// Queues a record's anchor, on the connection (and transaction) that completes the record.
    /// A release in a declared emergency: the nonce, the access row and what the custodian
    /// keeps of the emergency (its reason and the justification's text) in one statement.
    struct InsertEmergencyAccessClaimingNonce: PostgresPreparedStatement {
        static let sql = """
            WITH claimed AS (
                INSERT INTO request_nonces (signer, nonce, expires_at) VALUES ($17, $18, $19)
                ON CONFLICT DO NOTHING RETURNING 1
            ), logged AS (
                INSERT INTO access_log (\(InsertAccess.columns))
                SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16 FROM claimed
                RETURNING request_id
            )
            INSERT INTO emergency_accesses (request_id, emergency, reason, justification)
            SELECT request_id, $20, $21, $22 FROM logged
            RETURNING 1
            """
        static let bindingDataTypes: [PostgresDataType] = InsertAccess.accessTypes + [.bytea, .bytea, .timestamptz, .bytea, .int2, .text]
        typealias Row = Int32

        let access: AccessRecord
        let state: LogState
        let now: Date
        let clientAddress: String?
        let nonce: NonceClaim
        let emergency: EmergencyRelease

        func makeBindings() throws -> PostgresBindings {
            // $1...$19 as for an ordinary release, then what is kept of the emergency.
            var bindings = try InsertAccessClaimingNonce(access: access, state: state, now: now, clientAddress: clientAddress, nonce: nonce)
                .makeBindings()
            bindings.append(emergency.emergency.buffer)
            bindings.append(Int16(emergency.reason))
            bindings.append(emergency.justification)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Int32 { try row.decode(Int32.self) }
    }

    package static func insertAnchor(_ anchor: RecordAnchorInput, on connection: PostgresConnection, logger: Logger, now: Date) async throws {
        try await connection.query(
            """
            INSERT INTO record_anchors (record_id, patient, content_hash, encrypted_address, chain_state, created_at)
            VALUES (\(anchor.recordId.buffer), \(anchor.patient.buffer), \(anchor.contentHash.buffer),
                \(ByteBuffer(bytes: anchor.encryptedAddress)), \(unescaped: LogState.pending.sql), \(now))
            """, logger: logger)
    }

    // MARK: Reading the queue

    package func pendingAnchors(limit: Int) async throws -> [RecordAnchorInput] {
        let rows = try await client.query(
            """
            SELECT record_id, patient, content_hash, encrypted_address FROM record_anchors
            WHERE chain_state = \(unescaped: LogState.pending.sql) ORDER BY created_at, record_id LIMIT \(limit)
            """, logger: logger)
        var anchors = [RecordAnchorInput]()
        for try await (id, patient, hash, address) in rows.decode((ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer).self) {
            anchors.append(RecordAnchorInput(
                recordId: try Bytes32(buffer: id), patient: try Address(buffer: patient), contentHash: try Bytes32(buffer: hash),
                encryptedAddress: Array(buffer: address)))
        }
        return anchors
    }

    /// The next entries for the chain: served accesses first (oldest first), then denials, so
    /// that served rows never wait behind a flood of denials.
    package func pendingEntries(limit: Int) async throws -> [AccessEntry] {
        try await entries(
            """
            SELECT \(unescaped: Self.entryColumns) FROM access_log
            WHERE chain_state = \(unescaped: LogState.pending.sql) ORDER BY (outcome NOT IN (1, 20)), created_at, request_id LIMIT \(limit)
            """)
    }

    static let entryColumns = "request_id, token, record_id, staff, purpose, outcome, accessed_at, commitment"

    /// The rows `query` selects (``entryColumns``), as the entries they are logged as.
    private func entries(_ query: PostgresQuery) async throws -> [AccessEntry] {
        var entries = [AccessEntry]()
        for try await (requestId, token, recordId, staff, purpose, outcome, accessedAt, commitment)
            in try await client.query(query, logger: logger).decode((ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, Int16, Int16, Int64, ByteBuffer).self)
        {
            entries.append(AccessEntry(
                requestId: try Bytes32(buffer: requestId), token: try Bytes32(buffer: token), recordId: try Bytes32(buffer: recordId),
                staff: try Address(buffer: staff), purpose: UInt8(purpose), outcome: UInt8(outcome),
                accessedAt: UInt64(accessedAt), commitment: try Bytes32(buffer: commitment)))
        }
        return entries
    }

    /// The pending rows among `requestIds`, as the entries they would be logged as.
    package func pendingEntries(requestIds: [Bytes32]) async throws -> [Bytes32: AccessEntry] {
        guard !requestIds.isEmpty else { return [:] }
        let found = try await entries(
            """
            SELECT \(unescaped: Self.entryColumns) FROM access_log
            WHERE chain_state = \(unescaped: LogState.pending.sql) AND request_id = ANY(\(requestIds.map(\.buffer)))
            """)
        return Dictionary(found.map { ($0.requestId, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The newest block in which a row of this database was confirmed; nil before the first.
    package func lastConfirmedBlock() async throws -> UInt64? {
        let rows = try await client.query(
            "SELECT max(block_number) FROM access_log WHERE chain_state = \(unescaped: LogState.confirmed.sql)", logger: logger)
        for try await block in rows.decode(Int64?.self) { return block.map { UInt64(max($0, 0)) } }
        return nil
    }

    /// How many rows wait for the chain, and since when the oldest of each kind.
    ///
    /// `emergencies` false leaves the break-glass counts out (nil): they are only reported, and
    /// an idle writer asks for the backlog several times a second.
    package func backlog(emergencies: Bool = true) async throws -> OutboxStatus.Backlog {
        // SQL text, not a bind parameter: a parameter would give this, the writer's most frequent
        // query, a generic plan that runs the subqueries either way.
        let emergencyColumns = emergencies
            ? """
            (SELECT count(DISTINCT e.emergency) FROM emergency_accesses e
                WHERE NOT EXISTS (SELECT 1 FROM emergency_reviews r WHERE r.emergency = e.emergency)),
            (SELECT min(a.created_at) FROM emergency_accesses e JOIN access_log a USING (request_id)
                WHERE NOT EXISTS (SELECT 1 FROM emergency_reviews r WHERE r.emergency = e.emergency))
            """
            : "NULL::bigint, NULL::timestamptz"
        let rows = try await client.query(
            """
            SELECT
                (SELECT count(*) FROM access_log WHERE chain_state IN (\(unescaped: LogState.pending.sql), \(unescaped: LogState.submitted.sql)))
                    + (SELECT count(*) FROM record_anchors WHERE chain_state IN (\(unescaped: LogState.pending.sql), \(unescaped: LogState.submitted.sql))),
                (SELECT min(created_at) FROM access_log WHERE chain_state IN (\(unescaped: LogState.pending.sql), \(unescaped: LogState.submitted.sql)) AND outcome IN (1, 20)),
                (SELECT min(created_at) FROM access_log WHERE chain_state IN (\(unescaped: LogState.pending.sql), \(unescaped: LogState.submitted.sql)) AND outcome NOT IN (1, 20)),
                (SELECT min(created_at) FROM record_anchors WHERE chain_state IN (\(unescaped: LogState.pending.sql), \(unescaped: LogState.submitted.sql))),
                (SELECT count(*) FROM access_log WHERE \(unescaped: Self.incident) AND reviewed_at IS NULL),
                \(unescaped: emergencyColumns)
            """, logger: logger)
        for try await (count, served, denial, anchor, unreviewed, unreviewedEmergencies, oldestEmergency) in rows.decode(
            (Int64, Date?, Date?, Date?, Int64, Int64?, Date?).self)
        {
            return OutboxStatus.Backlog(
                depth: Int(count), oldestServed: served, oldestAnchor: anchor, oldestDenial: denial, unreviewedRejections: Int(unreviewed),
                unreviewedEmergencies: unreviewedEmergencies.map { Int($0) }, oldestUnreviewedEmergency: oldestEmergency)
        }
        return OutboxStatus.Backlog()
    }

    /// The chain state of one access row.
    package func chainState(of requestId: Bytes32) async throws -> LogState? {
        let rows = try await client.query("SELECT chain_state FROM access_log WHERE request_id = \(requestId.buffer)", logger: logger)
        for try await state in rows.decode(LogState.self) { return state }
        return nil
    }
}
