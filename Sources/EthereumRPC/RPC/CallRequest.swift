import BigInt
import EthereumCore

/// The message of an `eth_call` or `eth_estimateGas`.
public struct CallRequest: Equatable, Sendable {
    public var from: Address?
    /// nil estimates a contract creation.
    public var to: Address?
    public var data: [UInt8]
    public var value: BigUInt?
    public var gas: UInt64?

    public init(from: Address? = nil, to: Address?, data: [UInt8], value: BigUInt? = nil, gas: UInt64? = nil) {
        self.from = from
        self.to = to
        self.data = data
        self.value = value
        self.gas = gas
    }

    var json: JSONValue {
        var object: [String: JSONValue] = ["data": .string(Hex.encode(data))]
        if let from { object["from"] = .string(from.lowercased) }
        if let to { object["to"] = .string(to.lowercased) }
        if let value { object["value"] = .string(Hex.quantity(value)) }
        if let gas { object["gas"] = .string(Hex.quantity(gas)) }
        return .object(object)
    }
}
