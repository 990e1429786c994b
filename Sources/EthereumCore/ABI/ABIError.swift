/// An ABI type string that does not parse, a value that does not fit its type, or bytes that do
/// not decode. Decoding untrusted bytes fails with this, never with a crash.
public struct ABIError: Error, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case invalidType
        case valueMismatch
        case truncated
        case invalidOffset
        case invalidPadding
        case tooLarge
        case unknownSelector
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "ABIError.\(code): \(message)" }
}
