import Foundation
import Logging
import MDRSCore
import ServiceLifecycle

/// Periodic housekeeping: forgets request nonces whose window has passed, removes uploads
/// abandoned half-way, and deletes local-only access rows past their retention.
package struct Janitor: Service {
    let store: RecordStore
    let nonces: NonceStore
    let outbox: OutboxStore
    let refusals: RefusalBudget
    let interval: Duration
    let abandonAfter: Duration
    /// nil: local-only rows are kept.
    let localRetention: Duration?
    /// How long a nonce outlives its window, for clock skew between gateways.
    let nonceSlack: Duration
    let logger: Logger

    package init(store: RecordStore, nonces: NonceStore, outbox: OutboxStore, refusals: RefusalBudget, interval: Duration, abandonAfter: Duration, localRetention: Duration?, nonceSlack: Duration, logger: Logger) {
        self.store = store
        self.nonces = nonces
        self.outbox = outbox
        self.refusals = refusals
        self.interval = interval
        self.abandonAfter = abandonAfter
        self.localRetention = localRetention
        self.nonceSlack = nonceSlack
        self.logger = logger
    }

    package func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.sweep()
                try await Task.sleep(for: self.interval)
            }
        }
    }

    func sweep() async {
        let tallies = refusals.drainTallies()
        if !tallies.isEmpty {
            do {
                try await outbox.addTallies(tallies, minute: outbox.clock.now())
            } catch {
                logger.warning("could not write the refusal tallies", metadata: ["error": "\(ErrorDescription.text(error))"])
            }
        }
        do {
            let nonces = try await self.nonces.purgeExpired(now: self.outbox.clock.now(), slack: self.nonceSlack)
            let uploads = try await self.store.removeAbandonedUploads(idleFor: self.abandonAfter)
            var rows = 0
            if let localRetention { rows = try await self.outbox.purgeLocalOnly(olderThan: localRetention, now: self.outbox.clock.now()) }
            if nonces + uploads + rows > 0 {
                self.logger.debug(
                    "janitor", metadata: ["expiredNonces": "\(nonces)", "abandonedUploads": "\(uploads)", "expiredLocalRows": "\(rows)"])
            }
        } catch {
            self.logger.warning("housekeeping failed", metadata: ["error": "\(ErrorDescription.text(error))"])
        }
    }
}
