import EthereumCore

/// Which block a state query reads.
public enum BlockTag: Equatable, Hashable, Sendable {
    case latest
    case earliest
    case pending
    case safe
    case finalized
    case number(UInt64)

    var json: JSONValue {
        switch self {
        case .latest: "latest"
        case .earliest: "earliest"
        case .pending: "pending"
        case .safe: "safe"
        case .finalized: "finalized"
        case .number(let number): .string(Hex.quantity(number))
        }
    }
}
