import Foundation
import Logging
import ServiceLifecycle

/// Periodic housekeeping: forgets request nonces whose window has passed, removes uploads
/// abandoned half-way, and deletes local-only access rows past their retention.
struct Janitor: Service {
    let store: RecordStore
    let nonces: NonceStore
    let outbox: OutboxStore
    let interval: Duration
    let abandonAfter: Duration
    /// nil: local-only rows are kept.
    let localRetention: Duration?
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
        do {
            let nonces = try await self.nonces.purgeExpired(now: Date())
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
