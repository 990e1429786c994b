/// A key or signature that is malformed or does not verify.
public struct KeyError: Error, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case invalidPrivateKey
        case invalidPublicKey
        case invalidSignature
        case recoveryFailed
        case signingFailed
        case fileError
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "KeyError.\(code): \(message)" }
}
