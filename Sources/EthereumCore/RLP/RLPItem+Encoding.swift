extension RLPItem {
    /// The RLP encoding of this item.
    public func encoded() -> [UInt8] {
        var out = [UInt8]()
        append(to: &out)
        return out
    }

    private func append(to out: inout [UInt8]) {
        switch self {
        case .bytes(let bytes):
            if bytes.count == 1 && bytes[0] < 0x80 {
                out.append(bytes[0])
            } else {
                Self.appendHeader(offset: 0x80, length: bytes.count, to: &out)
                out.append(contentsOf: bytes)
            }
        case .list(let items):
            var payload = [UInt8]()
            for item in items { item.append(to: &payload) }
            Self.appendHeader(offset: 0xC0, length: payload.count, to: &out)
            out.append(contentsOf: payload)
        }
    }

    private static func appendHeader(offset: UInt8, length: Int, to out: inout [UInt8]) {
        if length < 56 {
            out.append(offset + UInt8(length))
        } else {
            let lengthBytes = UInt64(length).minimalBigEndianBytes
            out.append(offset + 55 + UInt8(lengthBytes.count))
            out.append(contentsOf: lengthBytes)
        }
    }
}
