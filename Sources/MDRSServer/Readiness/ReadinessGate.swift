import EthereumCore
import MDRSChain
import MDRSCore
import MDRSPostgres
import MDRSProtocol

/// Refuses to decide while the chain cannot be read, this custodian is not active on-chain
/// (its log entries would be refused), or the part of the outbox a request adds to is stalled:
/// served accesses for a fetch, anchors for a store. Denials never stall anything.
struct ReadinessGate: Sendable {
    /// What a request is about to do.
    enum Intent {
        /// Release a record: needs its access to reach the chain in time.
        case fetch
        /// Store a record: needs its anchor to reach the chain in time.
        case store
    }

    let chain: ChainState
    let database: DatabaseHealth
    let custodian: Address
    let outboxStatus: OutboxStatus
    /// How far behind the outbox may fall before requests are refused.
    let stallBound: Duration

    func check(for intent: Intent) async throws {
        guard database.isReachable else {
            throw APIError(.databaseUnavailable, "the gateway's database cannot be reached just now; nothing was released or stored")
        }
        guard outboxStatus.isKnown else {
            throw APIError(.auditLogStalled, "the gateway has not yet read how far its on-chain log is behind; try again in a moment")
        }
        do {
            _ = try chain.freshHead()
            guard try await chain.custodianActive(custodian) else {
                throw APIError(.custodianInactive, "this gateway's custodian is not registered (or was deregistered) on-chain")
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(error)
        }
        let bound = stallBound.seconds
        switch intent {
        case .fetch:
            let rejected = outboxStatus.unreviewedRejections
            if rejected > 0 {
                throw APIError(
                    .auditLogStalled,
                    "\(rejected) released record(s) could not be accounted for on-chain; nothing is released until the hospital has reviewed them")
            }
            let age = outboxStatus.servedAge
            if age > bound {
                throw APIError(.auditLogStalled, "the on-chain access log is \(Int(age)) s behind; no record is released until it catches up")
            }
        case .store:
            let age = outboxStatus.anchorAge
            if age > bound {
                throw APIError(.auditLogStalled, "record anchors are \(Int(age)) s behind on-chain; no record is stored until they catch up")
            }
        }
    }
}
