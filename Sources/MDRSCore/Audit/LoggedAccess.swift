import EthereumCore
import MDRSProtocol

/// One `Accessed` event of this custodian, as the chain holds it.
public struct LoggedAccess: Equatable, Sendable {
    public let entry: AccessEntry
    /// Zero when the contract named no patient (a denial about another hospital's record).
    public let patient: Address
    public let transactionHash: Bytes32
    public let blockNumber: UInt64
    public let logIndex: UInt64

    public var commitment: Bytes32 { entry.commitment }

    package init(entry: AccessEntry, patient: Address, transactionHash: Bytes32, blockNumber: UInt64, logIndex: UInt64) {
        self.entry = entry
        self.patient = patient
        self.transactionHash = transactionHash
        self.blockNumber = blockNumber
        self.logIndex = logIndex
    }
}

/// One access row of this custodian, as its database holds it.
public struct LocalAccess: Equatable, Sendable {
    public let access: AccessRecord
    /// The commitment computed when the row was written (a row altered since no longer hashes to it).
    public let storedCommitment: Bytes32
    /// pending, submitted, confirmed, local_only or rejected.
    public let chainState: LogState

    package init(access: AccessRecord, storedCommitment: Bytes32, chainState: LogState) {
        self.access = access
        self.storedCommitment = storedCommitment
        self.chainState = chainState
    }
}
