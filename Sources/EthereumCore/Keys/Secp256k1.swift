import CSecp256k1

/// The process-wide libsecp256k1 context.
///
/// Created once and randomised (blinding against side channels); afterwards libsecp256k1 only
/// reads it, which its documentation states is safe from many threads at once.
enum Secp256k1 {
    nonisolated(unsafe) static let context: OpaquePointer = {
        guard let context = mdrs_secp256k1_context_create() else {
            preconditionFailure("libsecp256k1 could not allocate a context")
        }
        var seed = Bytes32.random().bytes
        _ = secp256k1_context_randomize(context, &seed)
        return context
    }()

    /// The group order n.
    static let order: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
        0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41,
    ]

    /// n / 2: the largest `s` Ethereum accepts (EIP-2).
    static let halfOrder: [UInt8] = [
        0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0,
    ]

    /// Big-endian comparison of two 32-byte values.
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
        return 0
    }

    /// n - value, for a 32-byte value in 1..<n.
    static func negate(_ value: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for index in stride(from: 31, through: 0, by: -1) {
            var digit = Int(order[index]) - Int(value[index]) - borrow
            borrow = digit < 0 ? 1 : 0
            if digit < 0 { digit += 256 }
            result[index] = UInt8(digit)
        }
        return result
    }
}
