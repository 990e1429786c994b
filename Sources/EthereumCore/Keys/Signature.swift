/// A recoverable secp256k1 ECDSA signature: `r`, `s` and the recovery id (0 or 1).
public struct Signature: Hashable, Sendable {
    public let r: [UInt8]
    public let s: [UInt8]
    /// The parity of the nonce point's y coordinate: 0 or 1 (`yParity` in typed transactions).
    public let recoveryId: UInt8

    /// A signature from its parts; `r` and `s` must be 32 bytes in 1..<n.
    public init(r: [UInt8], s: [UInt8], recoveryId: UInt8) throws {
        guard r.count == 32, s.count == 32 else {
            throw KeyError(.invalidSignature, "r and s must be 32 bytes each")
        }
        guard recoveryId <= 1 else {
            throw KeyError(.invalidSignature, "recovery id must be 0 or 1, got \(recoveryId)")
        }
        for part in [r, s] {
            guard part.contains(where: { $0 != 0 }), Secp256k1.compare(part, Secp256k1.order) < 0 else {
                throw KeyError(.invalidSignature, "r and s must lie in 1..<n")
            }
        }
        self.r = r
        self.s = s
        self.recoveryId = recoveryId
    }

    /// Parses the 65-byte `r ‖ s ‖ v` form; `v` may be 0/1 or 27/28.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == 65 else {
            throw KeyError(.invalidSignature, "a signature has 65 bytes, got \(bytes.count)")
        }
        let v = bytes[64]
        let recoveryId: UInt8
        switch v {
        case 0, 1: recoveryId = v
        case 27, 28: recoveryId = v - 27
        default: throw KeyError(.invalidSignature, "v must be 0, 1, 27 or 28, got \(v)")
        }
        try self.init(r: Array(bytes[0..<32]), s: Array(bytes[32..<64]), recoveryId: recoveryId)
    }

    /// Parses `0x`-hex of the 65-byte form.
    public init(hex: String) throws {
        try self.init(bytes: try Hex.decode(hex))
    }

    /// Whether `s` is in the lower half of the order, as EIP-2 requires.
    public var isLowS: Bool {
        Secp256k1.compare(s, Secp256k1.halfOrder) <= 0
    }

    /// The equivalent low-s signature (s → n - s, recovery id flipped).
    public func normalized() -> Signature {
        guard !isLowS else { return self }
        return Signature(unchecked: r, Secp256k1.negate(s), recoveryId ^ 1)
    }

    private init(unchecked r: [UInt8], _ s: [UInt8], _ recoveryId: UInt8) {
        self.r = r
        self.s = s
        self.recoveryId = recoveryId
    }

    /// `r ‖ s ‖ v` with `v = recoveryId + vOffset` (27 for `personal_sign` and EIP-712).
    public func bytes(vOffset: UInt8 = 27) -> [UInt8] {
        r + s + [recoveryId + vOffset]
    }

    /// `0x`-hex of the 65-byte form with v = 27/28.
    public var hex: String { Hex.encode(bytes()) }
}
