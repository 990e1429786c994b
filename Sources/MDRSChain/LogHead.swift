/// Where a custodian's numbered access log stands on-chain (`logHead(custodian)`).
public struct LogHead: Equatable, Sendable {
    /// The last sequence number logged; 0 before the first entry.
    public let sequence: UInt64
    /// The block the last entry was logged in; 0 if none.
    public let blockNumber: UInt64

    public init(sequence: UInt64, blockNumber: UInt64) {
        self.sequence = sequence
        self.blockNumber = blockNumber
    }
}
