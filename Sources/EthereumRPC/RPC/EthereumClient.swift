import BigInt
import EthereumCore

/// Typed Ethereum JSON-RPC calls over a ``JSONRPCClient``.
public struct EthereumClient: Sendable {
    public let rpc: JSONRPCClient

    public init(rpc: JSONRPCClient) {
        self.rpc = rpc
    }

    /// `eth_chainId`. Arbitrary precision: some chains' ids exceed 2^32.
    public func chainId() async throws -> BigUInt {
        try await quantity("eth_chainId", [])
    }

    /// `eth_blockNumber`.
    public func blockNumber() async throws -> UInt64 {
        try await uint64("eth_blockNumber", [])
    }

    /// `eth_syncing`: whether the node says it is still catching up with the network (its state
    /// is then behind, whatever its head says).
    public func isSyncing() async throws -> Bool {
        let method = "eth_syncing"
        let result = try await rpc.call(method, [])
        if case .bool(let syncing) = result { return syncing }
        if case .object = result { return true }
        throw JSONRPCError(.invalidResponse, method: method, message: "expected false or a sync status object")
    }

    /// `eth_getBalance`.
    public func balance(of address: Address, at block: BlockTag = .latest) async throws -> BigUInt {
        try await quantity("eth_getBalance", [.string(address.lowercased), block.json])
    }

    /// `eth_getCode`.
    public func code(at address: Address, block: BlockTag = .latest) async throws -> [UInt8] {
        try await bytes("eth_getCode", [.string(address.lowercased), block.json])
    }

    /// `eth_getTransactionCount`: the next nonce of `address` at `block`.
    public func transactionCount(of address: Address, at block: BlockTag = .latest) async throws -> UInt64 {
        try await uint64("eth_getTransactionCount", [.string(address.lowercased), block.json])
    }

    /// `eth_call`. A revert surfaces as a ``JSONRPCError`` whose `revertData` holds the data.
    public func call(_ request: CallRequest, at block: BlockTag = .latest) async throws -> [UInt8] {
        try await bytes("eth_call", [request.json, block.json])
    }

    /// `eth_estimateGas`.
    public func estimateGas(_ request: CallRequest) async throws -> UInt64 {
        try await uint64("eth_estimateGas", [request.json])
    }

    /// `eth_gasPrice`.
    public func gasPrice() async throws -> BigUInt {
        try await quantity("eth_gasPrice", [])
    }

    /// `eth_maxPriorityFeePerGas`.
    public func maxPriorityFeePerGas() async throws -> BigUInt {
        try await quantity("eth_maxPriorityFeePerGas", [])
    }

    /// `eth_feeHistory`. Not every node has it (FISCO BCOS does not); ``FeeQuote`` uses it only
    /// as a fallback for the priority fee on chains with a base fee.
    public func feeHistory(blockCount: UInt64, newest: BlockTag = .latest, rewardPercentiles: [Double] = []) async throws -> FeeHistory {
        let method = "eth_feeHistory"
        let result = try await rpc.call(
            method, [.string(Hex.quantity(blockCount)), newest.json, .array(rewardPercentiles.map { .double($0) })])
        return try FeeHistory(json: result, method: method)
    }

    /// `eth_sendRawTransaction`; returns the transaction hash the node reports.
    @discardableResult
    public func sendRawTransaction(_ raw: [UInt8]) async throws -> Bytes32 {
        let method = "eth_sendRawTransaction"
        let result = try await rpc.call(method, [.string(Hex.encode(raw))])
        guard let text = result.stringValue, let hash = try? Bytes32(text) else {
            throw JSONRPCError(.invalidResponse, method: method, message: "expected a transaction hash")
        }
        return hash
    }

    /// `eth_getTransactionReceipt`: nil until the transaction is mined.
    public func transactionReceipt(_ hash: Bytes32) async throws -> TransactionReceipt? {
        let method = "eth_getTransactionReceipt"
        let result = try await rpc.call(method, [.string(hash.hex)])
        if result.isNull { return nil }
        return try TransactionReceipt(json: result, method: method)
    }

    /// `eth_getLogs`.
    public func logs(_ filter: LogFilter) async throws -> [Log] {
        let method = "eth_getLogs"
        let result = try await rpc.call(method, [filter.json])
        guard let items = result.arrayValue else {
            throw JSONRPCError(.invalidResponse, method: method, message: "expected an array of logs")
        }
        return try items.map { try Log(json: $0, method: method) }
    }

    /// `eth_getBlockByNumber` with transaction hashes only; nil if there is no such block.
    public func block(_ tag: BlockTag) async throws -> Block? {
        let method = "eth_getBlockByNumber"
        let result = try await rpc.call(method, [tag.json, false])
        if result.isNull { return nil }
        return try Block(json: result, method: method)
    }

    private func quantity(_ method: String, _ params: [JSONValue]) async throws -> BigUInt {
        let result = try await rpc.call(method, params)
        guard let text = result.stringValue, let value = try? Hex.bigQuantity(text) else {
            throw JSONRPCError(.invalidResponse, method: method, message: "expected a hex quantity")
        }
        return value
    }

    private func uint64(_ method: String, _ params: [JSONValue]) async throws -> UInt64 {
        let result = try await rpc.call(method, params)
        guard let text = result.stringValue, let value = try? Hex.uint64Quantity(text) else {
            throw JSONRPCError(.invalidResponse, method: method, message: "expected a 64-bit hex quantity")
        }
        return value
    }

    private func bytes(_ method: String, _ params: [JSONValue]) async throws -> [UInt8] {
        let result = try await rpc.call(method, params)
        guard let text = result.stringValue, let value = try? Hex.decode(text) else {
            throw JSONRPCError(.invalidResponse, method: method, message: "expected hex data")
        }
        return value
    }
}
