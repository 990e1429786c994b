/// A malformed RLP input. Decoding untrusted bytes fails with this, never with a crash.
public struct RLPError: Error, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case empty
        case truncated
        case nonCanonical
        case trailingBytes
        case tooDeep
        case unexpectedType
        case integerOverflow
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "RLPError.\(code): \(message)" }
}
