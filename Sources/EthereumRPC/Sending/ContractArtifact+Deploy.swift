import EthereumCore

extension ContractArtifact {
    /// Deploys the contract (constructor without arguments) and returns its address.
    public func deploy(using submitter: TransactionSubmitter) async throws -> Address {
        let receipt = try await submitter.submit(to: nil, data: bytecode)
        guard let address = receipt.contractAddress else {
            throw SubmissionError(.reverted, "the deployment receipt names no contract address", receipt: receipt)
        }
        return address
    }
}
