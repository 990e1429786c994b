import MDRSProtocol

/// The `Range` request header (RFC 9110 §14.1.2, §14.2), as the fetch route honours it.
///
/// - One `bytes=` range is honoured (`206`). Several ranges get the whole record (`200`), which
///   the RFC allows.
/// - A header that does not parse (another unit, whitespace inside a range, letters, `5-3`) is
///   ignored: the whole record, as the RFC allows and as common servers do. Whitespace around
///   the value and around commas is optional whitespace and is allowed.
/// - Numbers beyond 64 bits saturate: `bytes=0-<huge>` is cut at the end of the record, a huge
///   suffix means the whole record, and a huge first position is past the end.
/// - A syntactically valid range that starts past the end (or a zero suffix) is unsatisfiable:
///   `416 range_not_satisfiable`.
enum RangeHeader {
    /// The inclusive byte range to serve; nil for the whole record.
    static func parse(_ header: String?, size: Int64) throws -> ClosedRange<Int64>? {
        guard let header else { return nil }
        let value = trimOWS(Substring(header))
        guard let equals = value.firstIndex(of: "="), value[..<equals].lowercased() == "bytes" else { return nil }
        let specs = value[value.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false)
            .map { trimOWS($0) }.filter { !$0.isEmpty }
        guard specs.count == 1, let spec = specs.first else { return nil }
        guard let dash = spec.firstIndex(of: "-") else { return nil }
        let firstText = spec[..<dash]
        let lastText = spec[spec.index(after: dash)...]
        if firstText.isEmpty {
            guard let suffix = number(lastText) else { return nil }
            guard suffix > 0, size > 0 else {
                throw APIError(.rangeNotSatisfiable, "unsatisfiable range \(value) for \(size) bytes")
            }
            return Swift.max(0, size - suffix)...(size - 1)
        }
        guard let first = number(firstText) else { return nil }
        var last = Int64.max
        if !lastText.isEmpty {
            guard let parsed = number(lastText), parsed >= first else { return nil }
            last = parsed
        }
        guard first < size else {
            throw APIError(.rangeNotSatisfiable, "unsatisfiable range \(value) for \(size) bytes")
        }
        return first...Swift.min(last, size - 1)
    }

    /// A run of ASCII digits, saturating at `Int64.max`; nil for anything else.
    static func number(_ text: Substring) -> Int64? {
        guard !text.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in text.utf8 {
            guard (0x30...0x39).contains(byte) else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(byte - 0x30))
            value = overflow1 || overflow2 ? Int64.max : sum
        }
        return value
    }

    static func trimOWS(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
