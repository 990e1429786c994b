import EthereumCore

/// A JSON-RPC call that failed: the node could not be reached, answered with something that is
/// not JSON-RPC, or answered with an error object (whose `code`, `message` and `data` are kept).
public struct JSONRPCError: Error, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The connection failed or broke.
        case transport
        /// No answer within the timeout.
        case timeout
        /// An HTTP status other than 200.
        case httpStatus
        /// The body is not a JSON-RPC response, or a result has the wrong shape.
        case invalidResponse
        /// The node answered with an error object.
        case server
    }

    public let code: Code
    /// The method called.
    public let method: String
    public let message: String
    /// The error object's `code`, for `.server` errors.
    public let rpcCode: Int?
    /// The error object's `data`, for `.server` errors.
    public let data: JSONValue?

    public init(_ code: Code, method: String, message: String, rpcCode: Int? = nil, data: JSONValue? = nil) {
        self.code = code
        self.method = method
        self.message = message
        self.rpcCode = rpcCode
        self.data = data
    }

    /// The raw revert data of a reverted `eth_call` or `eth_estimateGas` (geth and Besu put it
    /// in `data` as hex).
    public var revertData: [UInt8]? {
        guard code == .server else { return nil }
        if let text = data?.stringValue, let bytes = try? Hex.decode(text) { return bytes }
        if let text = data?["data"]?.stringValue, let bytes = try? Hex.decode(text) { return bytes }
        if message.lowercased().contains("revert") { return [] }
        return nil
    }

    /// Whether the node could not be reached or did not answer in time, as opposed to an answer
    /// that says no.
    public var isUnavailable: Bool {
        code == .transport || code == .timeout || code == .httpStatus
    }

    public var description: String {
        var text = "JSONRPCError.\(code) calling \(method): \(message)"
        if let rpcCode { text += " (code \(rpcCode))" }
        return text
    }
}

extension JSONRPCError {
    private var lowercasedMessage: String { message.lowercased() }

    /// "nonce too low": a transaction with this nonce already landed.
    public var isNonceTooLow: Bool {
        code == .server && lowercasedMessage.contains("nonce too low")
    }

    /// "already known": the same transaction is already in the pool.
    public var isAlreadyKnown: Bool {
        code == .server
            && (lowercasedMessage.contains("already known") || lowercasedMessage.contains("known transaction")
                || lowercasedMessage.contains("already in pool"))
    }

    /// "replacement transaction underpriced": a replacement must pay at least 10% more.
    public var isReplacementUnderpriced: Bool {
        code == .server && lowercasedMessage.contains("replacement transaction underpriced")
    }

    /// "transaction underpriced" or a full pool: back off and retry later.
    public var isUnderpricedOrPoolFull: Bool {
        code == .server && !isReplacementUnderpriced
            && (lowercasedMessage.contains("underpriced") || lowercasedMessage.contains("txpool is full")
                || lowercasedMessage.contains("pool is full") || lowercasedMessage.contains("fee cap less than block base fee")
                || lowercasedMessage.contains("max fee per gas less than block base fee"))
    }
}
