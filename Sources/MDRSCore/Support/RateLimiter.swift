import Foundation
import Synchronization

/// Token buckets by key (a client's address, a signer), in bounded memory.
///
/// Each key may spend `burst` at once and earns `ratePerSecond` back. The table holds at most
/// `maximumKeys` buckets: when it is full, buckets that are full again (idle keys) are dropped,
/// and if none is, the whole table is reset, which errs on the side of letting traffic through
/// rather than locking out new clients.
public final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedAt: ContinuousClock.Instant
    }

    public let ratePerSecond: Double
    public let burst: Double
    let maximumKeys: Int
    private let buckets = Mutex<[Key: Bucket]>([:])

    public init(ratePerSecond: Double, burst: Double, maximumKeys: Int = 65_536) {
        self.ratePerSecond = ratePerSecond
        self.burst = max(burst, 1)
        self.maximumKeys = maximumKeys
    }

    /// Spends one token of `key`'s bucket; false if it is empty.
    public func allow(_ key: Key, now: ContinuousClock.Instant = .now) -> Bool {
        buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: burst, updatedAt: now)
            let elapsed = max(0, (now - bucket.updatedAt).seconds)
            bucket.tokens = min(burst, bucket.tokens + elapsed * ratePerSecond)
            bucket.updatedAt = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            if buckets[key] == nil, buckets.count >= maximumKeys {
                let rate = ratePerSecond, burst = burst
                buckets = buckets.filter { $0.value.tokens + max(0, (now - $0.value.updatedAt).seconds) * rate < burst }
                if buckets.count >= maximumKeys { buckets.removeAll(keepingCapacity: true) }
            }
            buckets[key] = bucket
            return allowed
        }
    }

    /// How many keys are tracked (for tests and metrics).
    public var trackedKeys: Int { buckets.withLock { $0.count } }
}
