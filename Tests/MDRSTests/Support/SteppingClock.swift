import Foundation
import MDRSCore
import Synchronization

/// The gateway's clock in a test: the system's time plus an offset the test moves forward, so a
/// test of a time bound steps over it instead of sleeping through it.
final class SteppingClock: WallClock, Sendable {
    private let offset = Mutex<TimeInterval>(0)

    func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }

    func advance(by duration: Duration) {
        offset.withLock { $0 += duration.seconds }
    }
}
