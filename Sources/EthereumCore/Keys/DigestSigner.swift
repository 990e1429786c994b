/// Something that signs 32-byte digests with a secp256k1 key: a key in memory (``PrivateKey``)
/// or one that never leaves a hardware security module.
///
/// A signature it returns is low-s (EIP-2) and carries its recovery id, so that anyone can
/// recover ``address`` from it.
public protocol DigestSigner: Sendable {
    /// The account address of the key.
    var address: Address { get }

    /// Signs a 32-byte digest.
    func sign(digest: [UInt8]) throws -> Signature
}

extension PrivateKey: DigestSigner {}

extension Signature {
    /// The low-s form of the plain ECDSA signature `r ‖ s` over `digest`, with the recovery id
    /// that recovers `signer`: what a signer that returns no recovery id (PKCS#11's CKM_ECDSA)
    /// needs to give an Ethereum signature.
    public init(r: [UInt8], s: [UInt8], digest: [UInt8], signer: Address) throws {
        for recoveryId: UInt8 in [0, 1] {
            let candidate = try Signature(r: r, s: s, recoveryId: recoveryId).normalized()
            if let recovered = try? Address(recoveringFrom: candidate, digest: digest), recovered == signer {
                self = candidate
                return
            }
        }
        throw KeyError(.recoveryFailed, "the signature does not recover the signer's address \(signer)")
    }
}
