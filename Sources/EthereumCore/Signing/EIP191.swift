/// EIP-191 version 0x45 (`personal_sign`): the message is prefixed so a signature over it can
/// never be a valid transaction signature.
public enum EIP191 {
    /// Keccak-256 of `"\x19Ethereum Signed Message:\n" ‖ len(message) ‖ message`.
    public static func personalMessageHash(_ message: [UInt8]) -> [UInt8] {
        Keccak256.hash(Array("\u{19}Ethereum Signed Message:\n\(message.count)".utf8) + message)
    }

    /// Signs `message` the `personal_sign` way.
    public static func sign(_ message: [UInt8], with key: some DigestSigner) throws -> Signature {
        try key.sign(digest: personalMessageHash(message))
    }

    /// The address that `personal_sign`ed `message`.
    public static func recover(_ message: [UInt8], signature: Signature) throws -> Address {
        try Address(recoveringFrom: signature, digest: personalMessageHash(message))
    }
}
