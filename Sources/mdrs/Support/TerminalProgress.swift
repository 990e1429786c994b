import Foundation
import Synchronization

/// One updating line on standard error, for a long transfer: bytes done, rate and time left.
/// Nothing at all when standard error is not a terminal (a script, a log file, a pipe).
final class TerminalProgress: Sendable {
    private struct State {
        var lastDrawn: ContinuousClock.Instant?
        var drew = false
    }

    let verb: String
    let started = ContinuousClock.now
    let enabled = isatty(STDERR_FILENO) == 1
    private let state = Mutex(State())

    init(_ verb: String) {
        self.verb = verb
    }

    /// A report handler for the client's transfers.
    var report: @Sendable (Int64, Int64?) -> Void { { [self] done, total in update(done, total) } }

    func update(_ done: Int64, _ total: Int64?) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let due = state.withLock { state -> Bool in
            // A few times a second is plenty for a person, and costs the transfer nothing.
            guard done == total || state.lastDrawn.map({ now - $0 >= .milliseconds(200) }) ?? true else { return false }
            state.lastDrawn = now
            state.drew = true
            return true
        }
        guard due else { return }
        let seconds = max((now - started).seconds, 0.001)
        let rate = Double(done) / seconds
        var line = "\(verb) \(Self.size(done))"
        if let total, total > 0 {
            line += " of \(Self.size(total)) (\(Int(Double(done) * 100 / Double(total)))%)"
        }
        line += " at \(Self.size(Int64(rate)))/s"
        if let total, rate > 0, done < total {
            line += ", \(Int((Double(total - done) / rate).rounded(.up))) s left"
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    /// Ends the line, if one was drawn.
    func finish() {
        guard enabled, state.withLock({ $0.drew }) else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }

    static func size(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
