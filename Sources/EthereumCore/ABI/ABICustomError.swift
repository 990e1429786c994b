/// A custom error a contract reverts with, Solidity style: a 4-byte selector and ABI-encoded
/// arguments.
public struct ABICustomError: Equatable, Sendable {
    public let name: String
    public let inputs: [ABIParameter]

    public init(name: String, inputs: [ABIParameter]) {
        self.name = name
        self.inputs = inputs
    }

    /// An error from its signature, e.g. `GrantExpired(bytes32,uint64)`.
    public init(signature: String) throws {
        let parsed = try parseSignature(signature)
        self.init(name: parsed.name, inputs: parsed.types.map { ABIParameter(type: $0) })
    }

    public var signature: String { "\(name)(\(inputs.signatureList))" }

    public var selector: [UInt8] { Array(Keccak256.hash(signature).prefix(4)) }

    /// Revert data for this error with `arguments`.
    public func encode(_ arguments: [ABIValue]) throws -> [UInt8] {
        selector + (try ABI.encode(arguments, as: inputs.types))
    }
}
