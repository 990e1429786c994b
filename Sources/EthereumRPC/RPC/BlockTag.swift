import EthereumCore

/// Which block a state query reads.
public enum BlockTag: Equatable, Hashable, Sendable {
    case latest
    case earliest
    case pending
    case safe
    case finalized
    case number(UInt64)
    /// One block by its hash (EIP-1898): a state query of it fails if the node no longer has
    /// that block on its canonical chain, where a number would answer for whichever block now
    /// holds that height. For state queries (`eth_call` and the like) only: block and log
    /// queries take numbers. Not every node takes the object form (FISCO BCOS reads it as
    /// `latest`): check what the answer says.
    case hash(Bytes32)

    var json: JSONValue {
        switch self {
        case .latest: "latest"
        case .earliest: "earliest"
        case .pending: "pending"
        case .safe: "safe"
        case .finalized: "finalized"
        case .number(let number): .string(Hex.quantity(number))
        case .hash(let hash): .object(["blockHash": .string(hash.hex), "requireCanonical": .bool(true)])
        }
    }
}
