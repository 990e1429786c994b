import EthereumCore
import Foundation

/// A request nonce to claim for its signer, kept until `expiry`: the request's time window has
/// been checked, the nonce not yet. ``NonceStore/claim(_:)`` claims it alone;
/// ``OutboxStore/insert(_:onChain:claiming:)`` claims it with the access row it allows.
public struct NonceClaim: Sendable, Hashable {
    public let signer: Address
    public let nonce: Bytes32
    public let expiry: Date

    public init(signer: Address, nonce: Bytes32, expiry: Date) {
        self.signer = signer
        self.nonce = nonce
        self.expiry = expiry
    }
}
