import Foundation

/// Where the gateway's own time comes from (request windows, nonce expiry, row times). One
/// injected clock, so that tests can step it instead of sleeping.
public protocol WallClock: Sendable {
    func now() -> Date
}

extension WallClock {
    /// Unix seconds.
    package var unixTime: UInt64 { UInt64(max(now().timeIntervalSince1970, 0)) }
}

/// The system's clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}
