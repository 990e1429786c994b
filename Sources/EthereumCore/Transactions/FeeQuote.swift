import BigInt

/// What a transaction will pay per gas, in the form the chain wants: EIP-1559 fees where blocks
/// carry a base fee, a legacy gas price where they do not (Besu with free gas, FISCO BCOS).
public enum FeeQuote: Equatable, Sendable {
    case legacy(gasPrice: BigUInt)
    case eip1559(maxFeePerGas: BigUInt, maxPriorityFeePerGas: BigUInt)

    /// The same quote raised by `percent` (at least +1 wei), as a replacement transaction must
    /// be to enter a pool that holds the original (geth and Besu require 10%).
    public func bumped(byPercent percent: Int) -> FeeQuote {
        func raise(_ value: BigUInt) -> BigUInt {
            Swift.max(value * BigUInt(100 + percent) / 100, value + 1)
        }
        switch self {
        case .legacy(let price): return .legacy(gasPrice: raise(price))
        case .eip1559(let cap, let tip): return .eip1559(maxFeePerGas: raise(cap), maxPriorityFeePerGas: raise(tip))
        }
    }

    /// The larger of two quotes, field by field (same kind), so a replacement never pays less
    /// than the market now asks.
    public func atLeast(_ other: FeeQuote) -> FeeQuote {
        switch (self, other) {
        case (.legacy(let a), .legacy(let b)): return .legacy(gasPrice: Swift.max(a, b))
        case (.eip1559(let capA, let tipA), .eip1559(let capB, let tipB)):
            return .eip1559(maxFeePerGas: Swift.max(capA, capB), maxPriorityFeePerGas: Swift.max(tipA, tipB))
        default: return other
        }
    }

    /// The most the transaction may pay per gas: the gas price, or the max fee.
    public var feeCap: BigUInt {
        switch self {
        case .legacy(let price): price
        case .eip1559(let cap, _): cap
        }
    }

    /// The quote with its fee cap (and tip) no higher than `maximum`.
    public func capped(at maximum: BigUInt) -> FeeQuote {
        switch self {
        case .legacy(let price): return .legacy(gasPrice: Swift.min(price, maximum))
        case .eip1559(let cap, let tip):
            let cap = Swift.min(cap, maximum)
            return .eip1559(maxFeePerGas: cap, maxPriorityFeePerGas: Swift.min(tip, cap))
        }
    }

    /// A transaction with these fees.
    public func transaction(
        chainId: BigUInt, nonce: UInt64, gasLimit: UInt64, to: Address?, value: BigUInt = 0, data: [UInt8]
    ) -> Transaction {
        switch self {
        case .legacy(let gasPrice):
            return .legacy(
                LegacyTransaction(chainId: chainId, nonce: nonce, gasPrice: gasPrice, gasLimit: gasLimit, to: to, value: value, data: data))
        case .eip1559(let cap, let tip):
            return .eip1559(
                EIP1559Transaction(
                    chainId: chainId, nonce: nonce, maxPriorityFeePerGas: tip, maxFeePerGas: cap, gasLimit: gasLimit,
                    to: to, value: value, data: data))
        }
    }
}

extension Transaction {
    /// The fees this transaction pays.
    public var feeQuote: FeeQuote {
        switch self {
        case .legacy(let tx): .legacy(gasPrice: tx.gasPrice)
        case .eip1559(let tx): .eip1559(maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas)
        }
    }
}
