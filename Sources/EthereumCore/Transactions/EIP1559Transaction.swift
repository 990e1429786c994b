import BigInt
import struct Foundation.Data

/// An EIP-1559 (type 2) transaction, for chains with a base fee.
public struct EIP1559Transaction: Equatable, Sendable {
    public static let typeByte: UInt8 = 0x02

    public var chainId: BigUInt
    public var nonce: UInt64
    public var maxPriorityFeePerGas: BigUInt
    public var maxFeePerGas: BigUInt
    public var gasLimit: UInt64
    /// nil creates a contract.
    public var to: Address?
    public var value: BigUInt
    public var data: [UInt8]
    public var accessList: [AccessListEntry]

    public init(
        chainId: BigUInt, nonce: UInt64, maxPriorityFeePerGas: BigUInt, maxFeePerGas: BigUInt,
        gasLimit: UInt64, to: Address?, value: BigUInt = 0, data: [UInt8] = [], accessList: [AccessListEntry] = []
    ) {
        self.chainId = chainId
        self.nonce = nonce
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.maxFeePerGas = maxFeePerGas
        self.gasLimit = gasLimit
        self.to = to
        self.value = value
        self.data = data
        self.accessList = accessList
    }

    var payloadFields: [RLPItem] {
        [
            .uint(chainId), .uint(nonce), .uint(maxPriorityFeePerGas), .uint(maxFeePerGas), .uint(gasLimit),
            .bytes(to?.bytes ?? []), .uint(value), .bytes(data), .list(accessList.map(\.rlp)),
        ]
    }

    /// The hash that is signed: Keccak-256 of `0x02 ‖ rlp(fields)`.
    public var signingHash: [UInt8] {
        Keccak256.hash([Self.typeByte] + RLPItem.list(payloadFields).encoded())
    }

    /// The signed raw transaction: `0x02 ‖ rlp(fields ‖ yParity, r, s)`.
    func raw(with signature: Signature) -> [UInt8] {
        let signatureFields: [RLPItem] = [
            .uint(UInt64(signature.recoveryId)), .uint(BigUInt(Data(signature.r))), .uint(BigUInt(Data(signature.s))),
        ]
        return [Self.typeByte] + RLPItem.list(payloadFields + signatureFields).encoded()
    }
}
