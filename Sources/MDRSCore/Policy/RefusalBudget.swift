import EthereumCore
import Foundation
import MDRSProtocol
import Synchronization

/// How many refusals of registered staff become rows, and how many of other hospitals' staff go
/// on-chain; what is over budget is tallied (signer, minute, code) instead, so nothing is
/// silently lost and no key can flood the log, the chain, or hide its own attempts.
///
/// - Stale and replayed requests spend a bucket of their own: a signer (or whoever holds one of
///   its signed requests) cannot use them to exhaust the bucket that logs decisions.
/// - Decisions (no grant, not the grantee, revoked, …) spend the signer's other bucket.
/// - On-chain denials of another hospital's staff also spend that hospital's bucket: a custodian
///   that registers a thousand keys cannot multiply the denials this one pays gas for.
public final class RefusalBudget: Sendable {
    let freshness: RateLimiter<Address>
    let decisions: RateLimiter<Address>
    let foreignOnChain: RateLimiter<Address>
    /// signer → code → refusals not logged, since the last flush.
    private let tallies = Mutex<[Address: [String: Int]]>([:])
    static let maximumTallied = 100_000

    public init(perSignerPerMinute: Int, foreignPerCustodianPerMinute: Int) {
        func bucket(_ perMinute: Int) -> RateLimiter<Address> {
            RateLimiter(ratePerSecond: Double(perMinute) / 60, burst: Double(perMinute))
        }
        freshness = bucket(perSignerPerMinute)
        decisions = bucket(perSignerPerMinute)
        foreignOnChain = bucket(foreignPerCustodianPerMinute)
    }

    /// Whether a refusal of `signer` with `code` gets a row; if not, it is tallied.
    package func allowRow(_ signer: Address, code: APIError.Code) -> Bool {
        let isFreshness = code == .requestStale || code == .nonceReused
        if (isFreshness ? freshness : decisions).allow(signer) { return true }
        tallies.withLock { tallies in
            guard tallies[signer] != nil || tallies.count < Self.maximumTallied else { return }
            tallies[signer, default: [:]][code.rawValue, default: 0] += 1
        }
        return false
    }

    /// Whether an on-chain denial of staff registered by `custodian` (another hospital) fits.
    package func allowForeignOnChain(_ custodian: Address) -> Bool {
        foreignOnChain.allow(custodian)
    }

    /// Takes the tallies so far (the janitor writes them to `refusal_tallies`).
    package func drainTallies() -> [Address: [String: Int]] {
        tallies.withLock { tallies in
            defer { tallies.removeAll() }
            return tallies
        }
    }
}
