import BigInt
import EthereumCore

/// A block header and its transaction hashes.
public struct Block: Equatable, Sendable {
    public let number: UInt64
    public let hash: Bytes32
    public let parentHash: Bytes32
    /// Seconds since the Unix epoch.
    public let timestamp: UInt64
    public let gasLimit: UInt64
    public let gasUsed: UInt64
    /// Present on chains with EIP-1559; absent on legacy-only chains.
    public let baseFeePerGas: BigUInt?
    public let transactionHashes: [Bytes32]
    /// Whether the node's answer carried a `transactions` list at all (an answer without one
    /// says nothing about the block's transactions, and must not count as an empty block).
    public let listsTransactions: Bool

    init(json: JSONValue, method: String) throws {
        let object = try RPCObject(json, method: method)
        self.number = try object.uint64("number")
        self.hash = try object.bytes32("hash")
        self.parentHash = try object.bytes32("parentHash")
        self.timestamp = try object.uint64("timestamp")
        self.gasLimit = try object.uint64("gasLimit")
        self.gasUsed = try object.uint64("gasUsed")
        self.baseFeePerGas = object.has("baseFeePerGas") ? try object.bigUInt("baseFeePerGas") : nil
        self.listsTransactions = object.members["transactions"]?.arrayValue != nil
        self.transactionHashes = try (object.members["transactions"]?.arrayValue ?? []).map { item in
            if let text = item.stringValue, let hash = try? Bytes32(text) { return hash }
            return try RPCObject(item, method: method).bytes32("hash")
        }
    }
}

/// `eth_feeHistory`'s answer.
public struct FeeHistory: Equatable, Sendable {
    public let oldestBlock: UInt64
    /// One more entry than blocks asked for: the next block's base fee is last.
    public let baseFeePerGas: [BigUInt]
    public let gasUsedRatio: [Double]
    /// Per block, the priority fees at the requested percentiles.
    public let reward: [[BigUInt]]

    init(json: JSONValue, method: String) throws {
        let object = try RPCObject(json, method: method)
        self.oldestBlock = try object.uint64("oldestBlock")
        self.baseFeePerGas = try object.array("baseFeePerGas").map {
            guard let text = $0.stringValue, let fee = try? Hex.bigQuantity(text) else {
                throw JSONRPCError(.invalidResponse, method: method, message: "invalid baseFeePerGas")
            }
            return fee
        }
        self.gasUsedRatio = (object.members["gasUsedRatio"]?.arrayValue ?? []).compactMap {
            switch $0 {
            case .double(let ratio): ratio
            case .integer(let ratio): Double(ratio)
            default: nil
            }
        }
        self.reward = try (object.members["reward"]?.arrayValue ?? []).map { row in
            try (row.arrayValue ?? []).map {
                guard let text = $0.stringValue, let fee = try? Hex.bigQuantity(text) else {
                    throw JSONRPCError(.invalidResponse, method: method, message: "invalid reward")
                }
                return fee
            }
        }
    }
}
