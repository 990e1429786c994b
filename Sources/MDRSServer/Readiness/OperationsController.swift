import Foundation
import Hummingbird
import Logging
import MDRSChain
import MDRSCore
import MDRSProtocol
import MDRSPostgres
import PKCS11
import Synchronization

/// Readiness for the operators: PostgreSQL answers, the chain head is fresh, the outbox flows.
struct OperationsController: Sendable {
    let database: DatabaseHealth
    let chain: ChainState
    let outboxStatus: OutboxStatus
    /// How far behind the outbox may fall before the gateway is not ready.
    let stallBound: Duration
    /// How long an emergency may wait for an auditor's review before readiness names it
    /// overdue (it never makes the gateway unready: emergencies must stay possible).
    var emergencyReviewWithin: Duration = .seconds(72 * 3600)
    let logger: Logger
    /// Set while the process shuts down: not ready, whatever else stands.
    var drain: RequestDrain? = nil
    /// The PKCS#11 tokens the keys are in (none with key files): each must keep a logged-in
    /// session for the gateway to be ready.
    var tokens: [PKCS11Token] = []

    /// How one part stands.
    enum Health: String, Codable, Sendable {
        case ok
        /// PostgreSQL does not answer.
        case unreachable
        /// The chain cannot be read, or its head is too old.
        case unavailable
        /// Served accesses or anchors wait longer than the stall bound.
        case stalled
        /// A released record's log entry was refused and is not yet reviewed.
        case rejected
    }

    /// How the hardware security module stands.
    enum KeyStoreHealth: String, Codable, Sendable {
        case ok
        /// A token the keys are in does not answer, or its session cannot be logged in again.
        case unavailable
    }

    struct Readiness: Codable, Sendable {
        var ready: Bool
        let postgres: Health
        let chain: Health
        let outbox: Health
        let chainHead: UInt64?
        let outboxDepth: Int
        /// The oldest served access or anchor waiting for the chain.
        let outboxOldestSeconds: Double
        /// The oldest denial waiting for the chain (reported; it does not make the gateway unready).
        let outboxOldestDenialSeconds: Double
        /// Emergencies (break-glass) released here that no auditor has reviewed, how long the
        /// oldest has waited, and whether it has waited past `emergency.review_within_hours`.
        /// Reported; they never make the gateway unready.
        let unreviewedEmergencies: Int
        let oldestUnreviewedEmergencySeconds: Double
        let emergencyReviewOverdue: Bool
        /// Present (true) while the process shuts down and lets its requests in flight finish.
        var draining: Bool? = nil
        /// Present when the keys are in a PKCS#11 token.
        var keyStore: KeyStoreHealth? = nil
    }

    /// The last answer, reused for a second: readiness is not rate-limited (load balancers ask
    /// often), so a flood of it must not turn into a flood of database pings.
    let cache = ReadinessCache()

    final class ReadinessCache: Sendable {
        let state = Mutex<(answer: Readiness, at: ContinuousClock.Instant)?>(nil)
    }

    func readiness() async -> Readiness {
        if let drain, drain.isDraining {
            var answer = await measureReadiness()
            answer.ready = false
            answer.draining = true
            return answer
        }
        if let cached = cache.state.withLock({ $0 }), ContinuousClock.now - cached.at < .seconds(1) { return cached.answer }
        let answer = await measureReadiness()
        cache.state.withLock { $0 = (answer, .now) }
        return answer
    }

    private func measureReadiness() async -> Readiness {
        // The probe's finding (a query here could wait for ever on a pool that cannot connect).
        let database: Health = self.database.isReachable ? .ok : .unreachable
        var chainAnswer = Health.ok
        var head: UInt64?
        do {
            head = try chain.freshHead().number
        } catch {
            // Details (the node's URL, its answer) go to the log, not to whoever asks.
            chainAnswer = .unavailable
            logger.debug("readiness: chain unavailable", metadata: ["error": "\(ErrorDescription.text(error))"])
        }
        let status = outboxStatus
        let bound = stallBound.seconds
        // Denials never stall anything (see OutboxStatus); served rows and anchors do.
        let outbox: Health =
            status.unreviewedRejections > 0 ? .rejected : !status.isKnown || status.servedAge > bound || status.anchorAge > bound ? .stalled : .ok
        var keyStore: KeyStoreHealth?
        if !tokens.isEmpty {
            keyStore = .ok
            for token in tokens {
                do {
                    try token.checkSession()
                } catch {
                    keyStore = .unavailable
                    logger.warning("readiness: the key store does not answer", metadata: ["error": "\(ErrorDescription.text(error))"])
                }
            }
        }
        return Readiness(
            ready: database == .ok && chainAnswer == .ok && outbox == .ok && keyStore != .unavailable, postgres: database,
            chain: chainAnswer, outbox: outbox,
            chainHead: head, outboxDepth: status.depth, outboxOldestSeconds: max(status.servedAge, status.anchorAge),
            outboxOldestDenialSeconds: status.denialAge, unreviewedEmergencies: status.unreviewedEmergencies,
            oldestUnreviewedEmergencySeconds: status.unreviewedEmergencyAge,
            emergencyReviewOverdue: status.unreviewedEmergencyAge > emergencyReviewWithin.seconds, keyStore: keyStore)
    }
}
