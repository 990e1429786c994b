import EthereumCore
import Logging
import MDRSChain
import MDRSCore
import MDRSPostgres
import MDRSProtocol

/// Writes the access rows of fetches: every release before its first byte, and the refusals
/// worth keeping, locally and, where the contract's rule and the budgets allow, on-chain.
struct AccessJournal: Sendable {
    struct Configuration: Sendable {
        var denialsOnChain: Bool
        /// Strict mode: a release waits until its row is on-chain, up to `strictTimeout`.
        var strict: Bool
        var strictTimeout: Duration
    }

    let outbox: OutboxStore
    /// Writes ordinary releases with those arriving beside them (one statement, one commit).
    let groupCommit: AccessGroupCommit
    let outboxStatus: OutboxStatus
    let refusalBudget: RefusalBudget
    let configuration: Configuration
    let metrics: GatewayMetrics

    /// Claims the request's nonce and writes the served row in one statement, an ordinary
    /// release's in a group with its neighbours' (and in strict mode waits for the chain to have
    /// it). A used nonce writes nothing and refuses the fetch.
    func logServed(_ access: AccessRecord, claiming nonce: NonceClaim, attempt: inout FetchAttempt) async throws {
        if let emergency = attempt.emergency {
            try attempt.settleNonce(claimed: try await outbox.insert(
                access, onChain: true, clientAddress: attempt.clientAddress, emergency: emergency, claiming: nonce))
        } else {
            try attempt.settleNonce(claimed: try await groupCommit.logServed(access, clientAddress: attempt.clientAddress, claiming: nonce))
        }
        attempt.servedRowWritten = true
        outboxStatus.noteInsert(.served)
        if configuration.strict {
            try await waitForConfirmation(access.requestId)
        }
    }

    /// Logs a refusal of a request signed by registered staff: locally, and on-chain too when
    /// ``AccessPolicy/logsOnChain(_:registration:fresh:recordHeldHere:servedRowWritten:denialsOnChain:)``
    /// says so. Returns whether a row was written.
    ///
    /// Anything else is only counted: a stranger's request (any 65 bytes recover *some* address)
    /// must not grow the database or spend the custodian's gas, and a registered signer's
    /// refusals are logged up to `access.logged_refusals_per_minute`, so that no single key can
    /// flood the log or push the outbox past its stall bound.
    func logRefusal(_ refusal: APIError, attempt: FetchAttempt, policy: AccessPolicy, accessedAt: UInt64, logger: Logger) async -> Bool {
        guard let registration = attempt.registration else {
            metrics.refusalUnlogged("unknown_signer")
            return false
        }
        guard refusalBudget.allowRow(attempt.staff, code: refusal.code) else {
            metrics.refusalUnlogged("over_budget")
            logger.debug("refusal over its signer's budget; tallied", metadata: ["staff": "\(attempt.staff)", "code": "\(refusal.code.rawValue)"])
            return false
        }
        var onChain = policy.logsOnChain(
            refusal.code, registration: registration, fresh: attempt.fresh, recordHeldHere: attempt.recordHeldHere,
            servedRowWritten: attempt.servedRowWritten, denialsOnChain: configuration.denialsOnChain)
        if onChain, registration.custodian != policy.custodian, !refusalBudget.allowForeignOnChain(registration.custodian) {
            onChain = false
            metrics.refusalUnlogged("foreign_budget")
        }
        let access = attempt.record(
            custodian: policy.custodian, outcome: AccessPolicy.outcome(for: refusal.code), reason: refusal.code.rawValue,
            accessedAt: accessedAt)
        do {
            try await outbox.insert(access, onChain: onChain, clientAddress: attempt.clientAddress)
            if onChain { outboxStatus.noteInsert(.denial) }
        } catch {
            logger.error("could not log a refused fetch", metadata: ["request": "\(access.requestId)", "error": "\(ErrorDescription.text(error))"])
            return false
        }
        logger.notice("fetch refused", metadata: ["request": "\(access.requestId)", "code": "\(refusal.code.rawValue)", "staff": "\(attempt.staff)"])
        return true
    }

    /// Strict mode: wait until the access row is on-chain before the first byte leaves.
    private func waitForConfirmation(_ requestId: Bytes32) async throws {
        let deadline = ContinuousClock.now + configuration.strictTimeout
        while ContinuousClock.now < deadline {
            switch try await outbox.chainState(of: requestId) {
            case .confirmed: return
            case .rejected: throw APIError(.internalError, "the contract refused to log this access")
            case .pending, .submitted, .localOnly, nil: try await Task.sleep(for: .milliseconds(50))
            }
        }
        throw APIError(.auditLogUnconfirmed, "the access was not confirmed on-chain within \(configuration.strictTimeout); nothing was released")
    }
}
