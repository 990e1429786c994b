import CPKCS11

/// The attributes of an object to find or create, laid out for the C calls.
struct PKCS11Template {
    private var entries: [(type: CK_ATTRIBUTE_TYPE, value: [UInt8])] = []

    mutating func append(_ type: CK_ATTRIBUTE_TYPE, bytes: [UInt8]) {
        entries.append((type, bytes))
    }

    mutating func append(_ type: CK_ATTRIBUTE_TYPE, ulong value: CK_ULONG) {
        entries.append((type, withUnsafeBytes(of: value) { Array($0) }))
    }

    mutating func append(_ type: CK_ATTRIBUTE_TYPE, bool value: Bool) {
        entries.append((type, [value ? 1 : 0]))
    }

    /// Sets a boolean attribute, in place of the value it had.
    mutating func set(_ type: CK_ATTRIBUTE_TYPE, bool value: Bool) {
        entries.removeAll { $0.type == type }
        append(type, bool: value)
    }

    /// Runs `body` with a `CK_ATTRIBUTE` array whose values point into memory alive for its
    /// duration.
    func withAttributes<Result>(_ body: (UnsafeMutablePointer<CK_ATTRIBUTE>, CK_ULONG) throws -> Result) throws -> Result {
        let size = max(1, entries.reduce(0) { $0 + $1.value.count })
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: MemoryLayout<CK_ULONG>.alignment)
        defer { storage.deallocate() }
        let attributes = UnsafeMutablePointer<CK_ATTRIBUTE>.allocate(capacity: max(1, entries.count))
        defer { attributes.deallocate() }
        var offset = 0
        for (index, entry) in entries.enumerated() {
            let destination = storage.baseAddress! + offset
            entry.value.withUnsafeBytes { source in
                if let base = source.baseAddress { destination.copyMemory(from: base, byteCount: source.count) }
            }
            (attributes + index).initialize(
                to: CK_ATTRIBUTE(type: entry.type, pValue: destination, ulValueLen: CK_ULONG(entry.value.count)))
            offset += entry.value.count
        }
        return try body(attributes, CK_ULONG(entries.count))
    }
}
