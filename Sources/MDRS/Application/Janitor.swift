import Logging
import ServiceLifecycle

/// Periodic housekeeping: forgets request nonces whose window has passed and removes uploads
/// abandoned half-way.
struct Janitor: Service {
    let store: RecordStore
    let nonces: NonceStore
    let interval: Duration
    let abandonAfter: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let nonces = try await self.nonces.purgeExpired()
                    let uploads = try await self.store.removeAbandonedUploads(idleFor: self.abandonAfter)
                    if nonces + uploads > 0 {
                        self.logger.debug("janitor", metadata: ["expiredNonces": "\(nonces)", "abandonedUploads": "\(uploads)"])
                    }
                } catch {
                    self.logger.warning("housekeeping failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: self.interval)
            }
        }
    }
}
