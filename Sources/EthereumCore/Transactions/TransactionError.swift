/// A transaction that cannot be built, signed or decoded.
public struct TransactionError: Error, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case unsupportedType
        case malformed
        case invalidSignature
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "TransactionError.\(code): \(message)" }
}
