import EthereumCore
import MDRSProtocol

/// One `Accessed` event of this custodian, as the chain holds it.
package struct LoggedAccess: Equatable, Sendable {
    package let entry: AccessEntry
    /// Zero when the contract named no patient (a denial about another hospital's record).
    package let patient: Address
    package let transactionHash: Bytes32
    package let blockNumber: UInt64
    /// The block's hash when the event was read (a reorganisation changes it).
    package let blockHash: Bytes32
    package let logIndex: UInt64
    /// The entry's number in the custodian's log.
    package let sequence: UInt64

    package var commitment: Bytes32 { entry.commitment }
    package var key: AuditCursor { AuditCursor(accessedAt: entry.accessedAt, requestId: entry.requestId) }

    package init(entry: AccessEntry, patient: Address, transactionHash: Bytes32, blockNumber: UInt64, blockHash: Bytes32, logIndex: UInt64, sequence: UInt64) {
        self.entry = entry
        self.patient = patient
        self.transactionHash = transactionHash
        self.blockNumber = blockNumber
        self.blockHash = blockHash
        self.logIndex = logIndex
        self.sequence = sequence
    }
}

/// One access row of this custodian, as its database holds it.
package struct LocalAccess: Equatable, Sendable {
    package let access: AccessRecord
    /// The commitment computed when the row was written (a row altered since no longer hashes to it).
    package let storedCommitment: Bytes32
    /// pending, submitted, confirmed, local_only or rejected.
    package let chainState: LogState
    /// The block the outbox saw the entry confirmed in.
    package let blockNumber: UInt64?
    /// The requester's IP address as the gateway's connection saw it.
    package let clientAddress: String?

    package var key: AuditCursor { AuditCursor(accessedAt: access.accessedAt, requestId: access.requestId) }

    package init(access: AccessRecord, storedCommitment: Bytes32, chainState: LogState, blockNumber: UInt64? = nil, clientAddress: String? = nil) {
        self.access = access
        self.storedCommitment = storedCommitment
        self.chainState = chainState
        self.blockNumber = blockNumber
        self.clientAddress = clientAddress
    }
}
