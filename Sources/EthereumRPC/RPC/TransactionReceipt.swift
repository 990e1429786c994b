import BigInt
import EthereumCore

/// A mined transaction's receipt.
public struct TransactionReceipt: Equatable, Sendable {
    public let transactionHash: Bytes32
    public let blockNumber: UInt64
    public let blockHash: Bytes32
    public let transactionIndex: UInt64
    /// True for success (status 1); false means the transaction reverted.
    public let succeeded: Bool
    public let gasUsed: UInt64
    public let effectiveGasPrice: BigUInt?
    public let contractAddress: Address?
    public let logs: [Log]

    init(json: JSONValue, method: String) throws {
        let object = try RPCObject(json, method: method)
        self.transactionHash = try object.bytes32("transactionHash")
        self.blockNumber = try object.uint64("blockNumber")
        self.blockHash = try object.bytes32("blockHash")
        self.transactionIndex = try object.uint64("transactionIndex")
        self.succeeded = try object.uint64("status") == 1
        self.gasUsed = try object.uint64("gasUsed")
        self.effectiveGasPrice = object.has("effectiveGasPrice") ? try object.bigUInt("effectiveGasPrice") : nil
        self.contractAddress = try object.optionalAddress("contractAddress")
        self.logs = try object.array("logs").map { try Log(json: $0, method: method) }
    }
}
