import BigInt
import EthereumCore

/// What every signed request is bound to: one chain, one contract and one custodian's gateway.
/// The chain and contract form the EIP-712 domain; the custodian is a field of every message,
/// so a request signed for one hospital's gateway cannot be replayed at another's.
public struct SigningDomain: Equatable, Sendable {
    public let chainId: BigUInt
    public let contract: Address
    public let custodian: Address

    public init(chainId: BigUInt, contract: Address, custodian: Address) {
        self.chainId = chainId
        self.contract = contract
        self.custodian = custodian
    }
}
