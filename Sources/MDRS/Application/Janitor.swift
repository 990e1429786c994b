import Foundation
import Logging
import ServiceLifecycle

/// Periodic housekeeping: forgets request nonces whose window has passed, removes uploads
/// abandoned half-way, and deletes local-only access rows past their retention.
struct Janitor: Service {
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

    func run() async throws {
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
                try await outbox.addTallies(tallies, minute: Date())
            } catch {
                logger.warning("could not write the refusal tallies", metadata: ["error": "\(error)"])
            }
        }
        do {
            let nonces = try await self.nonces.purgeExpired(now: Date(), slack: self.nonceSlack)
            let uploads = try await self.store.removeAbandonedUploads(idleFor: self.abandonAfter)
            var rows = 0
            if let localRetention { rows = try await self.outbox.purgeLocalOnly(olderThan: localRetention) }
            if nonces + uploads + rows > 0 {
                self.logger.debug(
                    "janitor", metadata: ["expiredNonces": "\(nonces)", "abandonedUploads": "\(uploads)", "expiredLocalRows": "\(rows)"])
            }
        } catch {
            self.logger.warning("housekeeping failed", metadata: ["error": "\(error)"])
        }
    }
}
