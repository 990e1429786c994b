import EthereumCore

/// What `GET /v1/info` answers: who this gateway is, so clients sign for the right custodian,
/// chain and contract, and the EIP-712 domain and types they sign (a wallet in a browser needs
/// them as data: `eth_signTypedData_v4`).
public struct GatewayInfo: Codable, Sendable, Equatable {
    /// The EIP-712 domain and the request types, exactly as the gateway checks signatures.
    public struct TypedDataInfo: Codable, Sendable, Equatable {
        public let domain: JSONValue
        public let types: [String: [TypedData.Field]]

        public init(domain: JSONValue, types: [String: [TypedData.Field]]) {
            self.domain = domain
            self.types = types
        }
    }

    /// What a browser wallet needs to add the chain if it does not know it.
    public struct WalletInfo: Codable, Sendable, Equatable {
        public let rpcUrl: String
        public let chainName: String

        public init(rpcUrl: String, chainName: String) {
            self.rpcUrl = rpcUrl
            self.chainName = chainName
        }
    }

    public let custodian: String
    public let chainId: String
    public let contract: String
    public let version: String
    public let typedData: TypedDataInfo
    /// The contract's deployment block (decimal): where event scans start.
    public let fromBlock: String
    public let wallet: WalletInfo?

    public init(custodian: String, chainId: String, contract: String, version: String, typedData: TypedDataInfo, fromBlock: String, wallet: WalletInfo?) {
        self.custodian = custodian
        self.chainId = chainId
        self.contract = contract
        self.version = version
        self.typedData = typedData
        self.fromBlock = fromBlock
        self.wallet = wallet
    }
}
