/// FHIR `instant` and `dateTime` text for the gateway's Unix times (whole seconds, UTC), and the
/// range of seconds a search value at its precision stands for.
public enum FHIRDateTime {
    /// `2026-12-03T07:05:09Z`.
    public static func instant(_ unix: UInt64) -> String {
        let days = Int64(unix / 86_400), seconds = Int(unix % 86_400)
        let (year, month, day) = civil(fromDays: days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let yearText = String(repeating: "0", count: max(0, 4 - String(year).count)) + String(year)
        return "\(yearText)-\(two(month))-\(two(day))T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))Z"
    }

    /// The seconds `text` (a FHIR `date` or `dateTime`: `2026`, `2026-12`, `2026-12-03`,
    /// `2026-12-03T07:05Z`, `2026-12-03T07:05:09.5+01:00`) covers: `start ..< end`, negative
    /// before 1970. A date without a time is a UTC day. Nil if it is not such a value.
    public static func range(_ text: String) -> Range<Int64>? {
        let chars = Array(text.utf8)
        var i = 0
        func digits(_ count: Int) -> Int? {
            guard i + count <= chars.count else { return nil }
            var value = 0
            for c in chars[i..<(i + count)] {
                guard (48...57).contains(c) else { return nil }
                value = value * 10 + Int(c - 48)
            }
            i += count
            return value
        }
        func take(_ c: Character) -> Bool {
            guard i < chars.count, chars[i] == c.asciiValue else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), year >= 1 else { return nil }
        if i == chars.count { return seconds(year, 1, 1)..<seconds(year + 1, 1, 1) }
        guard take("-"), let month = digits(2), (1...12).contains(month) else { return nil }
        if i == chars.count {
            let next = month == 12 ? seconds(year + 1, 1, 1) : seconds(year, month + 1, 1)
            return seconds(year, month, 1)..<next
        }
        guard take("-"), let day = digits(2), (1...daysIn(year, month)).contains(day) else { return nil }
        let midnight = seconds(year, month, day)
        if i == chars.count { return midnight..<(midnight + 86_400) }
        guard take("T"), let hour = digits(2), hour < 24, take(":"), let minute = digits(2), minute < 60 else { return nil }
        var width: Int64 = 60
        var second = 0
        if take(":") {
            guard let s = digits(2), s < 60 else { return nil }
            second = s
            width = 1
            if take(".") {
                // Fractions of a second: the gateway's times are whole seconds.
                let start = i
                while i < chars.count, (48...57).contains(chars[i]) { i += 1 }
                guard i > start else { return nil }
            }
        }
        // FHIR requires a zone when there is a time.
        var offset = 0
        if take("Z") {
        } else if i < chars.count, chars[i] == UInt8(ascii: "+") || chars[i] == UInt8(ascii: "-") {
            let sign = chars[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let h = digits(2), h <= 14, take(":"), let m = digits(2), m < 60 else { return nil }
            offset = sign * (h * 3600 + m * 60)
        } else {
            return nil
        }
        guard i == chars.count else { return nil }
        let start = midnight + Int64(hour * 3600 + minute * 60 + second - offset)
        return start..<(start + width)
    }

    static func daysIn(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func seconds(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
        days(fromCivil: year, month, day) * 86_400
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays z: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yoe + era * 400) + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
