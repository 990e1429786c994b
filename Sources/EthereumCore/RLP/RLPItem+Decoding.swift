extension RLPItem {
    /// Nesting deeper than this is refused, so hostile input cannot exhaust the stack.
    public static let maximumDepth = 128

    /// Decodes exactly one item that spans all of `bytes`, enforcing canonical form.
    public init(decoding bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { throw RLPError(.empty, "empty input") }
        var decoder = Decoder(bytes: bytes)
        let item = try decoder.item(end: bytes.count, depth: 0)
        guard decoder.position == bytes.count else {
            throw RLPError(.trailingBytes, "\(bytes.count - decoder.position) bytes after the item")
        }
        self = item
    }

    private struct Decoder {
        let bytes: [UInt8]
        var position = 0

        mutating func item(end: Int, depth: Int) throws -> RLPItem {
            guard depth <= RLPItem.maximumDepth else {
                throw RLPError(.tooDeep, "nesting deeper than \(RLPItem.maximumDepth)")
            }
            guard position < end else { throw RLPError(.truncated, "expected an item at \(position)") }
            let prefix = bytes[position]
            position += 1
            switch prefix {
            case 0x00...0x7F:
                return .bytes([prefix])
            case 0x80...0xB7:
                let length = Int(prefix - 0x80)
                let payload = try take(length, end: end)
                if length == 1 && payload[0] < 0x80 {
                    throw RLPError(.nonCanonical, "single byte below 0x80 must encode as itself")
                }
                return .bytes(payload)
            case 0xB8...0xBF:
                let length = try longLength(byteCount: Int(prefix - 0xB7), end: end)
                return .bytes(try take(length, end: end))
            case 0xC0...0xF7:
                return .list(try listItems(length: Int(prefix - 0xC0), end: end, depth: depth))
            default:
                let length = try longLength(byteCount: Int(prefix - 0xF7), end: end)
                return .list(try listItems(length: length, end: end, depth: depth))
            }
        }

        private mutating func take(_ count: Int, end: Int) throws -> [UInt8] {
            guard count <= end - position else {
                throw RLPError(.truncated, "needs \(count) bytes at \(position), has \(end - position)")
            }
            defer { position += count }
            return Array(bytes[position..<position + count])
        }

        private mutating func longLength(byteCount: Int, end: Int) throws -> Int {
            let lengthBytes = try take(byteCount, end: end)
            guard lengthBytes[0] != 0 else {
                throw RLPError(.nonCanonical, "length with a leading zero byte")
            }
            guard byteCount <= 7 else { throw RLPError(.truncated, "length does not fit in memory") }
            let length = lengthBytes.reduce(0) { $0 << 8 | Int($1) }
            guard length >= 56 else {
                throw RLPError(.nonCanonical, "length \(length) must use the short form")
            }
            return length
        }

        private mutating func listItems(length: Int, end: Int, depth: Int) throws -> [RLPItem] {
            guard length <= end - position else {
                throw RLPError(.truncated, "list needs \(length) bytes at \(position), has \(end - position)")
            }
            let listEnd = position + length
            var items = [RLPItem]()
            while position < listEnd {
                items.append(try item(end: listEnd, depth: depth + 1))
            }
            return items
        }
    }
}
