import BigInt
import EthereumCore

extension FeeQuote {
    /// Asks the chain: the latest block's base fee decides the transaction type. The priority
    /// fee comes from `eth_maxPriorityFeePerGas`, falling back to `eth_feeHistory` and then to
    /// 1 gwei; the cap is twice the base fee plus the tip, which survives six full blocks of
    /// base-fee growth.
    public static func suggest(using client: EthereumClient) async throws -> FeeQuote {
        guard let latest = try await client.block(.latest) else {
            throw JSONRPCError(.invalidResponse, method: "eth_getBlockByNumber", message: "no latest block")
        }
        guard let baseFee = latest.baseFeePerGas else {
            return .legacy(gasPrice: try await client.gasPrice())
        }
        let tip: BigUInt
        if let suggested = try? await client.maxPriorityFeePerGas() {
            tip = suggested
        } else if let history = try? await client.feeHistory(blockCount: 5, rewardPercentiles: [50]),
            let median = history.reward.compactMap(\.first).max()
        {
            tip = median
        } else {
            tip = 1_000_000_000
        }
        return .eip1559(maxFeePerGas: baseFee * 2 + tip, maxPriorityFeePerGas: tip)
    }
}
