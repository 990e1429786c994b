import BigInt
import struct Foundation.Data

/// A legacy (type 0) transaction, signed with EIP-155 replay protection. Gas-free consortium
/// chains (Besu with a minimum gas price of 0, FISCO BCOS) take these.
public struct LegacyTransaction: Equatable, Sendable {
    public var chainId: BigUInt
    public var nonce: UInt64
    public var gasPrice: BigUInt
    public var gasLimit: UInt64
    /// nil creates a contract.
    public var to: Address?
    public var value: BigUInt
    public var data: [UInt8]

    public init(
        chainId: BigUInt, nonce: UInt64, gasPrice: BigUInt, gasLimit: UInt64,
        to: Address?, value: BigUInt = 0, data: [UInt8] = []
    ) {
        self.chainId = chainId
        self.nonce = nonce
        self.gasPrice = gasPrice
        self.gasLimit = gasLimit
        self.to = to
        self.value = value
        self.data = data
    }

    var payloadFields: [RLPItem] {
        [.uint(nonce), .uint(gasPrice), .uint(gasLimit), .bytes(to?.bytes ?? []), .uint(value), .bytes(data)]
    }

    /// The EIP-155 hash that is signed.
    public var signingHash: [UInt8] {
        Keccak256.hash(RLPItem.list(payloadFields + [.uint(chainId), .uint(0 as UInt64), .uint(0 as UInt64)]).encoded())
    }

    /// The EIP-155 `v`: recovery id + chain id · 2 + 35.
    func v(for signature: Signature) -> BigUInt {
        BigUInt(signature.recoveryId) + chainId * 2 + 35
    }

    /// The signed raw transaction.
    func raw(with signature: Signature) -> [UInt8] {
        RLPItem.list(payloadFields + [.uint(v(for: signature)), .uint(BigUInt(Data(signature.r))), .uint(BigUInt(Data(signature.s)))]).encoded()
    }
}
