import Hummingbird

/// What `GET /v1/info` answers: who this gateway is, so clients sign for the right custodian,
/// chain and contract.
public struct GatewayInfo: Codable, Sendable, Equatable {
    public let custodian: String
    public let chainId: String
    public let contract: String
    public let version: String
}
