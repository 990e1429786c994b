/// Keccak-256 as Ethereum uses it: the original Keccak padding (`0x01`), not NIST SHA3-256 (`0x06`).
///
/// Incremental: feed bytes with ``update(_:)`` and read the digest with ``finalize()``.
public struct Keccak256: Sendable {
    /// Bytes absorbed per permutation (1600 - 2·256 bits).
    static let rate = 136

    private var state = [UInt64](repeating: 0, count: 25)
    private var buffer = [UInt8]()

    public init() {
        buffer.reserveCapacity(Self.rate)
    }

    /// The Keccak-256 digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = Keccak256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The Keccak-256 digest of the UTF-8 bytes of `text`.
    public static func hash(_ text: String) -> [UInt8] {
        hash(Array(text.utf8))
    }

    /// Absorbs more input.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        for byte in bytes {
            buffer.append(byte)
            if buffer.count == Self.rate {
                absorbBuffer()
            }
        }
    }

    /// Pads, permutes and returns the 32-byte digest.
    public mutating func finalize() -> [UInt8] {
        var block = buffer
        block.append(0x01)
        block.append(contentsOf: [UInt8](repeating: 0, count: Self.rate - block.count))
        block[Self.rate - 1] |= 0x80
        buffer = block
        absorbBuffer()
        var out = [UInt8]()
        out.reserveCapacity(32)
        for lane in 0..<4 {
            var value = state[lane].littleEndian
            withUnsafeBytes(of: &value) { out.append(contentsOf: $0) }
        }
        return out
    }

    private mutating func absorbBuffer() {
        buffer.withUnsafeBytes { raw in
            for lane in 0..<(Self.rate / 8) {
                state[lane] ^= UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: lane * 8, as: UInt64.self))
            }
        }
        buffer.removeAll(keepingCapacity: true)
        state.withUnsafeMutableBufferPointer { Self.permute($0) }
    }

    private static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]
    private static let rotations: [UInt64] = [
        1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
    ]
    private static let piLanes: [Int] = [
        10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
    ]

    @inline(__always)
    private static func rotl(_ x: UInt64, _ n: UInt64) -> UInt64 {
        (x << n) | (x >> (64 &- n))
    }

    /// Keccak-f[1600].
    private static func permute(_ a: UnsafeMutableBufferPointer<UInt64>) {
        for round in 0..<24 {
            // θ
            let c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20]
            let c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21]
            let c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22]
            let c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23]
            let c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24]
            let d0 = c4 ^ rotl(c1, 1)
            let d1 = c0 ^ rotl(c2, 1)
            let d2 = c1 ^ rotl(c3, 1)
            let d3 = c2 ^ rotl(c4, 1)
            let d4 = c3 ^ rotl(c0, 1)
            for y in stride(from: 0, to: 25, by: 5) {
                a[y] ^= d0
                a[y + 1] ^= d1
                a[y + 2] ^= d2
                a[y + 3] ^= d3
                a[y + 4] ^= d4
            }
            // ρ and π
            var last = a[1]
            for i in 0..<24 {
                let j = piLanes[i]
                let saved = a[j]
                a[j] = rotl(last, rotations[i])
                last = saved
            }
            // χ
            for y in stride(from: 0, to: 25, by: 5) {
                let t0 = a[y], t1 = a[y + 1], t2 = a[y + 2], t3 = a[y + 3], t4 = a[y + 4]
                a[y] = t0 ^ (~t1 & t2)
                a[y + 1] = t1 ^ (~t2 & t3)
                a[y + 2] = t2 ^ (~t3 & t4)
                a[y + 3] = t3 ^ (~t4 & t0)
                a[y + 4] = t4 ^ (~t0 & t1)
            }
            // ι
            a[0] ^= roundConstants[round]
        }
    }
}
