import MDRSCore
import Testing

@Suite("Rate limiter")
struct RateLimiterTests {
    @Test("a key spends its burst, then earns tokens back at its rate")
    func bucket() {
        let limiter = RateLimiter<Int>(ratePerSecond: 2, burst: 3)
        let start = ContinuousClock.now
        #expect((0..<3).allSatisfy { _ in limiter.allow(1, now: start) })
        #expect(!limiter.allow(1, now: start))
        #expect(limiter.allow(2, now: start), "other keys have their own bucket")
        #expect(!limiter.allow(1, now: start + .milliseconds(400)))
        #expect(limiter.allow(1, now: start + .milliseconds(600)))
        #expect(!limiter.allow(1, now: start + .milliseconds(700)))
    }

    @Test("memory stays bounded however many keys come")
    func bounded() {
        let limiter = RateLimiter<Int>(ratePerSecond: 1, burst: 1, maximumKeys: 100)
        let now = ContinuousClock.now
        for key in 0..<10_000 { _ = limiter.allow(key, now: now) }
        #expect(limiter.trackedKeys <= 100)
    }
}
