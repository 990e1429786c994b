import EthereumCore

/// A chain read or write that failed: the node is unreachable, a call reverted (with the
/// contract's custom error decoded), or the node is not the chain we were configured for.
public struct ChainError: Error, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The node did not answer: the gateway fails closed.
        case unavailable
        /// The contract refused; `revert` says why.
        case reverted
        /// The node answered nonsense.
        case invalidResponse
        /// The node's chain id differs from the configured one.
        case wrongChain
        /// A transaction did not make it on-chain in time.
        case timeout
        /// Two nodes answered the same read at the same block differently: one of them lies.
        case disagreement
    }

    public let code: Code
    public let message: String
    public let revert: RevertReason?

    public init(_ code: Code, _ message: String, revert: RevertReason? = nil) {
        self.code = code
        self.message = message
        self.revert = revert
    }

    /// The contract's custom error name, e.g. `UnknownGrant`.
    public var revertName: String? { revert?.customName }

    public var description: String {
        var text = "ChainError.\(code.rawValue): \(message)"
        if let revert { text += " (\(revert))" }
        return text
    }
}
