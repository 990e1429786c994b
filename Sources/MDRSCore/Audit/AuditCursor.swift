import EthereumCore

/// A position in the access log: entries are ordered by their access time, then request id,
/// which neither the chain nor the custodian's rows ever change. A page starts after one, so
/// paging stays exact while new accesses arrive.
package struct AuditCursor: Comparable, Hashable, Sendable {
    package let accessedAt: UInt64
    package let requestId: Bytes32

    package init(accessedAt: UInt64, requestId: Bytes32) {
        self.accessedAt = accessedAt
        self.requestId = requestId
    }

    /// `<accessedAt>-<requestId hex without 0x>`: what `next` carries and `after` takes.
    package init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        // Exactly as `text` writes it: digits, and lower-case hex (the documented pattern).
        guard parts.count == 2, (1...19).contains(parts[0].count), parts[0].allSatisfy({ $0.isASCII && $0.isNumber }),
            let time = UInt64(parts[0]), time <= UInt64(Int64.max),
            parts[1].count == 64, parts[1].allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }),
            let requestId = try? Bytes32("0x" + parts[1])
        else { return nil }
        self.accessedAt = time
        self.requestId = requestId
    }

    package var text: String { "\(accessedAt)-\(requestId.hex.dropFirst(2))" }

    package static func < (lhs: AuditCursor, rhs: AuditCursor) -> Bool {
        (lhs.accessedAt, lhs.requestId.hex) < (rhs.accessedAt, rhs.requestId.hex)
    }
}
