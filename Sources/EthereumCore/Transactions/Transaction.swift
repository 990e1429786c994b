import BigInt

/// An unsigned transaction of a type the toolkit signs.
public enum Transaction: Equatable, Sendable {
    case legacy(LegacyTransaction)
    case eip1559(EIP1559Transaction)

    /// The hash the sender signs.
    public var signingHash: [UInt8] {
        switch self {
        case .legacy(let tx): tx.signingHash
        case .eip1559(let tx): tx.signingHash
        }
    }

    public var chainId: BigUInt {
        switch self {
        case .legacy(let tx): tx.chainId
        case .eip1559(let tx): tx.chainId
        }
    }

    public var nonce: UInt64 {
        switch self {
        case .legacy(let tx): tx.nonce
        case .eip1559(let tx): tx.nonce
        }
    }

    public var gasLimit: UInt64 {
        switch self {
        case .legacy(let tx): tx.gasLimit
        case .eip1559(let tx): tx.gasLimit
        }
    }

    public var to: Address? {
        switch self {
        case .legacy(let tx): tx.to
        case .eip1559(let tx): tx.to
        }
    }

    public var value: BigUInt {
        switch self {
        case .legacy(let tx): tx.value
        case .eip1559(let tx): tx.value
        }
    }

    public var data: [UInt8] {
        switch self {
        case .legacy(let tx): tx.data
        case .eip1559(let tx): tx.data
        }
    }

    /// The most the sender pays per gas: `gasPrice` or `maxFeePerGas`.
    public var maxFeePerGas: BigUInt {
        switch self {
        case .legacy(let tx): tx.gasPrice
        case .eip1559(let tx): tx.maxFeePerGas
        }
    }

    /// Signs with `key`.
    public func signed(with key: some DigestSigner) throws -> SignedTransaction {
        let signature = try key.sign(digest: signingHash)
        return try SignedTransaction(transaction: self, signature: signature)
    }
}

extension LegacyTransaction {
    /// Signs with `key` (EIP-155).
    public func signed(with key: some DigestSigner) throws -> SignedTransaction {
        try Transaction.legacy(self).signed(with: key)
    }
}

extension EIP1559Transaction {
    /// Signs with `key`.
    public func signed(with key: some DigestSigner) throws -> SignedTransaction {
        try Transaction.eip1559(self).signed(with: key)
    }
}
