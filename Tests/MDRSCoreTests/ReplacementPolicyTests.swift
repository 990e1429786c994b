import BigInt
import EthereumCore
@testable import MDRSCore
import Testing

@Suite("Outbox replacement policy")
struct ReplacementPolicyTests {
    static let gwei = BigUInt(1_000_000_000)

    @Test("the wait doubles per version up to 64×, and there are at most 12 versions")
    func versionsAndWaits() {
        let policy = ReplacementPolicy(replaceAfter: .seconds(30), maximumFeePerGas: nil)
        #expect(policy.wait(versions: 1) == .seconds(30))
        #expect(policy.wait(versions: 2) == .seconds(60))
        #expect(policy.wait(versions: 7) == .seconds(30 * 64))
        #expect(policy.wait(versions: 11) == .seconds(30 * 64))
        #expect(!policy.isDue(versions: 1, elapsed: .seconds(29)))
        #expect(policy.isDue(versions: 1, elapsed: .seconds(30)))
        #expect(policy.isDue(versions: 11, elapsed: .seconds(30 * 64)))
        #expect(!policy.isDue(versions: 12, elapsed: .seconds(1_000_000)), "a 13th version")
        // Following the policy from the first send on signs 12 versions in all.
        var versions = 1
        var elapsed = Duration.zero
        while versions < 100, elapsed < .seconds(10_000_000) {
            elapsed += .seconds(30)
            if policy.isDue(versions: versions, elapsed: elapsed) {
                versions += 1
                elapsed = .zero
            }
        }
        #expect(versions == ReplacementPolicy.maximumVersions)
    }

    @Test("a replacement pays 12 % more and at least the market, never more than the cap")
    func fees() throws {
        let uncapped = ReplacementPolicy(replaceAfter: .seconds(30), maximumFeePerGas: nil)
        let latest = FeeQuote.eip1559(maxFeePerGas: 10 * Self.gwei, maxPriorityFeePerGas: Self.gwei)
        let calm = FeeQuote.eip1559(maxFeePerGas: 5 * Self.gwei, maxPriorityFeePerGas: Self.gwei)
        #expect(uncapped.replacementFees(latest: latest, market: calm) == latest.bumped(byPercent: 12))
        let busy = FeeQuote.eip1559(maxFeePerGas: 50 * Self.gwei, maxPriorityFeePerGas: 3 * Self.gwei)
        #expect(uncapped.replacementFees(latest: latest, market: busy) == busy)

        let capped = ReplacementPolicy(replaceAfter: .seconds(30), maximumFeePerGas: 20 * Self.gwei)
        let fees = try #require(capped.replacementFees(latest: latest, market: busy))
        #expect(fees.feeCap == 20 * Self.gwei)
        #expect(capped.initialFees(market: busy).feeCap == 20 * Self.gwei)
        // At the cap there is no room for the 10 % a pool requires: no replacement.
        let atCap = FeeQuote.eip1559(maxFeePerGas: 19 * Self.gwei, maxPriorityFeePerGas: 3 * Self.gwei)
        #expect(capped.replacementFees(latest: atCap, market: busy) == nil)
        let legacy = ReplacementPolicy(replaceAfter: .seconds(30), maximumFeePerGas: 100)
        #expect(legacy.replacementFees(latest: .legacy(gasPrice: 95), market: .legacy(gasPrice: 1)) == nil)
        #expect(legacy.replacementFees(latest: .legacy(gasPrice: 50), market: .legacy(gasPrice: 1)) == .legacy(gasPrice: 56))
        // A free transaction is replaced at 1 wei: pools want some raise.
        #expect(legacy.replacementFees(latest: .legacy(gasPrice: 0), market: .legacy(gasPrice: 0)) == .legacy(gasPrice: 1))
    }
}
