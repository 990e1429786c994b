import EthereumCore

/// An event log, as `eth_getLogs` and receipts return it.
public struct Log: Equatable, Sendable {
    public let address: Address
    public let topics: [Bytes32]
    public let data: [UInt8]
    public let blockNumber: UInt64
    public let blockHash: Bytes32
    public let transactionHash: Bytes32
    public let transactionIndex: UInt64
    public let logIndex: UInt64
    /// True when a reorganisation removed the log.
    public let removed: Bool

    public init(
        address: Address, topics: [Bytes32], data: [UInt8], blockNumber: UInt64, blockHash: Bytes32,
        transactionHash: Bytes32, transactionIndex: UInt64, logIndex: UInt64, removed: Bool = false
    ) {
        self.address = address
        self.topics = topics
        self.data = data
        self.blockNumber = blockNumber
        self.blockHash = blockHash
        self.transactionHash = transactionHash
        self.transactionIndex = transactionIndex
        self.logIndex = logIndex
        self.removed = removed
    }

    init(json: JSONValue, method: String) throws {
        let object = try RPCObject(json, method: method)
        self.address = try object.address("address")
        self.topics = try object.array("topics").map {
            guard let text = $0.stringValue, let topic = try? Bytes32(text) else {
                throw JSONRPCError(.invalidResponse, method: method, message: "invalid topic")
            }
            return topic
        }
        self.data = try object.bytes("data")
        self.blockNumber = try object.uint64("blockNumber")
        self.blockHash = try object.bytes32("blockHash")
        self.transactionHash = try object.bytes32("transactionHash")
        self.transactionIndex = try object.uint64("transactionIndex")
        self.logIndex = try object.uint64("logIndex")
        self.removed = object.members["removed"]?.boolValue ?? false
    }
}

/// An `eth_getLogs` filter.
public struct LogFilter: Equatable, Sendable {
    public var fromBlock: BlockTag
    public var toBlock: BlockTag
    public var addresses: [Address]
    /// Per position: nil matches anything, otherwise any of the listed topics.
    public var topics: [[Bytes32]?]

    public init(fromBlock: BlockTag, toBlock: BlockTag = .latest, addresses: [Address] = [], topics: [[Bytes32]?] = []) {
        self.fromBlock = fromBlock
        self.toBlock = toBlock
        self.addresses = addresses
        self.topics = topics
    }

    var json: JSONValue {
        var object: [String: JSONValue] = ["fromBlock": fromBlock.json, "toBlock": toBlock.json]
        if addresses.count == 1 {
            object["address"] = .string(addresses[0].lowercased)
        } else if !addresses.isEmpty {
            object["address"] = .array(addresses.map { .string($0.lowercased) })
        }
        if !topics.isEmpty {
            object["topics"] = .array(topics.map { position in
                guard let position else { return .null }
                return position.count == 1 ? .string(position[0].hex) : .array(position.map { .string($0.hex) })
            })
        }
        return .object(object)
    }
}
