import Foundation
import Logging
import MDRSCore
import PostgresNIO

/// What the database remembers of the PostgreSQL clusters and timelines it has run on, which is
/// how the gateway knows it was restored from a backup (or its standby promoted): the current
/// cluster and timeline are not among them yet. Entries of the custodian's on-chain log that
/// have no row here and were logged by the chain's head at that moment were lost with the
/// restore, not written by someone else holding the custodian's key; the chain still holds them.
/// (Blocks, not times: a chain's block times may run ahead of the gateway's clock.)
package struct DatabaseIncarnationStore: Sendable {
    /// The current incarnation, as noted.
    package struct Incarnation: Equatable, Sendable {
        package let systemIdentifier: String
        package let timeline: Int
        /// When a gateway first saw the database on it.
        package let firstSeen: Date
        /// The chain's head block then.
        package let chainHead: UInt64
        /// Whether it is the first this database noted (not a restore or a promotion).
        package let original: Bool

        /// When the database was first seen restored: nil for the original database.
        package var restoredAt: Date? { original ? nil : firstSeen }

        /// Whether an on-chain entry in block `block` that has no row here was lost with the
        /// restore (logged before the restored database was first seen).
        package func lostWithRestore(block: UInt64) -> Bool { !original && block <= chainHead }
    }

    let client: PostgresDatabase
    let clock: any WallClock
    let logger: Logger

    package init(client: some PostgresDatabaseConvertible, clock: any WallClock = SystemClock(), logger: Logger) {
        self.client = client.database
        self.clock = clock
        self.logger = logger
    }

    /// Notes the cluster and timeline the database runs on now (with `chainHead`, the chain's
    /// head block, if they are new), and returns them as first seen. A new one is logged once,
    /// by the process that notes it.
    package func current(chainHead: UInt64) async throws -> Incarnation {
        // Two processes noting a new incarnation at once: the one whose insert waited on the
        // other's sees neither its own row nor (in its snapshot) the other's; asking again does.
        for _ in 0..<3 {
            if let incarnation = try await note(chainHead: chainHead) { return incarnation }
        }
        throw GatewayError(.unexpectedDatabaseState, "the database's cluster and timeline could not be noted")
    }

    private func note(chainHead: UInt64) async throws -> Incarnation? {
        // The timeline from the current WAL file's name: exact at once after a promotion, unlike
        // the last checkpoint's. Both functions are open to any role.
        let rows = try await client.query(
            """
            WITH here AS (
                SELECT (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier,
                       ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS timeline
            ), noted AS (
                INSERT INTO database_incarnations (system_identifier, timeline, first_seen, chain_head, original)
                SELECT system_identifier, timeline, \(clock.now()), \(Int64(clamping: chainHead)), NOT EXISTS (SELECT 1 FROM database_incarnations)
                FROM here
                ON CONFLICT DO NOTHING
                RETURNING system_identifier, timeline, first_seen, chain_head, original, true AS new
            )
            SELECT system_identifier, timeline, first_seen, chain_head, original, new FROM noted
            UNION ALL
            SELECT i.system_identifier, i.timeline, i.first_seen, i.chain_head, i.original, false
            FROM database_incarnations i JOIN here USING (system_identifier, timeline)
            """, logger: logger)
        for try await (system, timeline, firstSeen, head, original, new) in rows.decode((String, Int32, Date, Int64, Bool, Bool).self) {
            let incarnation = Incarnation(
                systemIdentifier: system, timeline: Int(timeline), firstSeen: firstSeen, chainHead: UInt64(max(head, 0)), original: original)
            if new && !original {
                logger.warning(
                    "the database runs on a cluster or timeline it has not run on before: restored from a backup, or a promoted standby; on-chain entries up to the chain's current block that it lacks were lost with the restore",
                    metadata: ["systemIdentifier": "\(system)", "timeline": "\(timeline)", "chainHead": "\(head)"])
            }
            return incarnation
        }
        return nil
    }
}
