/// A contract function: encodes calls and decodes results.
public struct ABIFunction: Equatable, Sendable {
    public let name: String
    public let inputs: [ABIParameter]
    public let outputs: [ABIParameter]
    /// `view`, `pure`, `nonpayable` or `payable`.
    public let stateMutability: String

    public init(name: String, inputs: [ABIParameter], outputs: [ABIParameter] = [], stateMutability: String = "nonpayable") {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.stateMutability = stateMutability
    }

    /// A function from its signature, e.g. `grant(address,bytes32,uint64)`.
    public init(signature: String, outputs: [ABIType] = []) throws {
        let parsed = try parseSignature(signature)
        self.init(
            name: parsed.name,
            inputs: parsed.types.map { ABIParameter(type: $0) },
            outputs: outputs.map { ABIParameter(type: $0) }
        )
    }

    /// The canonical signature.
    public var signature: String { "\(name)(\(inputs.signatureList))" }

    /// The first four bytes of the Keccak-256 of the signature.
    public var selector: [UInt8] { Array(Keccak256.hash(signature).prefix(4)) }

    /// Call data: selector followed by the encoded arguments.
    public func encodeCall(_ arguments: [ABIValue]) throws -> [UInt8] {
        selector + (try ABI.encode(arguments, as: inputs.types))
    }

    /// Decodes call data for this function (selector included).
    public func decodeCall(_ data: [UInt8]) throws -> [ABIValue] {
        guard data.count >= 4, Array(data.prefix(4)) == selector else {
            throw ABIError(.unknownSelector, "call data is not for \(signature)")
        }
        return try ABI.decode(inputs.types, from: Array(data.dropFirst(4)))
    }

    /// Decodes the data an `eth_call` of this function returned.
    public func decodeOutput(_ data: [UInt8]) throws -> [ABIValue] {
        try ABI.decode(outputs.types, from: data)
    }
}
