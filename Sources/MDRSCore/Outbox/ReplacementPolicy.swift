import BigInt
import EthereumCore

/// When and at what fee the outbox writer replaces a log transaction that waits for a receipt.
/// Pure: the writer asks, and does what it says.
///
/// - The first replacement comes `replaceAfter` after the first send; each further one waits
///   twice as long as the one before, up to 64 × `replaceAfter`.
/// - At most ``maximumVersions`` versions of one transaction are ever signed. After that the
///   latest is only re-broadcast: more versions do not help a node that does not mine.
/// - A replacement offers 12 % more than the latest version (nodes require 10 %), and at least
///   what the node now suggests, but never more than `maximumFeePerGas`. If the cap leaves no
///   room for a 10 % raise, there is no replacement: the transaction waits at the cap, and the
///   outbox stalls visibly rather than spending without bound.
package struct ReplacementPolicy: Sendable {
    static let maximumVersions = 12
    static let maximumBackoffFactor = 64
    static let bumpPercent = 12
    /// What a pool requires of a replacement (go-ethereum and Besu).
    static let requiredBumpPercent = 10

    let replaceAfter: Duration
    let maximumFeePerGas: BigUInt?

    package init(replaceAfter: Duration, maximumFeePerGas: BigUInt?) {
        self.replaceAfter = replaceAfter
        self.maximumFeePerGas = maximumFeePerGas
    }

    /// How long after its latest send a transaction with `versions` versions is replaced.
    package func wait(versions: Int) -> Duration {
        let factor = 1 << min(max(versions - 1, 0), 6)
        return replaceAfter * min(factor, Self.maximumBackoffFactor)
    }

    /// Whether a transaction with `versions` versions, sent `elapsed` ago, is due a replacement.
    package func isDue(versions: Int, elapsed: Duration) -> Bool {
        versions < Self.maximumVersions && elapsed >= wait(versions: versions)
    }

    /// The fees of the replacement of `latest`, given what the market asks now; nil when the cap
    /// leaves no room for a raise the pool would accept.
    package func replacementFees(latest: FeeQuote, market: FeeQuote) -> FeeQuote? {
        var fees = latest.bumped(byPercent: Self.bumpPercent).atLeast(market)
        if let maximumFeePerGas {
            fees = fees.capped(at: maximumFeePerGas)
            let required = latest.bumped(byPercent: Self.requiredBumpPercent)
            guard fees.feeCap >= required.feeCap else { return nil }
            if case .eip1559(_, let tip) = fees, case .eip1559(_, let requiredTip) = required, tip < requiredTip { return nil }
        }
        return fees
    }

    /// The fees of a first send: the market's, within the cap.
    package func initialFees(market: FeeQuote) -> FeeQuote {
        maximumFeePerGas.map { market.capped(at: $0) } ?? market
    }
}
