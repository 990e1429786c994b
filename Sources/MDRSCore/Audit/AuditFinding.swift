import EthereumCore

/// One entry on which the chain and the custodian's rows disagree, as the check found it.
package struct AuditFinding: Equatable, Sendable {
    package enum Kind: String, Sendable {
        /// A row the outbox saw confirmed, which the chain does not hold.
        case missingOnChain = "missing_on_chain"
        /// An entry of this custodian on-chain with no row here.
        case unknownHere = "unknown_here"
        /// An entry of this custodian on-chain with no row here, made before the database was
        /// restored from a backup: the restore lost the row; the chain holds the entry.
        case lostInRestore = "lost_in_restore"
        /// The row, or the log, was altered: the commitments differ.
        case commitmentMismatch = "commitment_mismatch"
        /// A served entry whose grant the chain had revoked before it was released (by more
        /// than the revocation bound): the gateway's node hid the revocation, or lied about time.
        case servedAfterRevocation = "served_after_revocation"
        /// A served entry released at or after its grant's expiry.
        case servedAfterExpiry = "served_after_expiry"
        /// A served entry released after the staff registration its grant was made under had
        /// ended (deregistered, or registered again): the grant had died with it.
        case servedAfterRegistrationChange = "served_after_registration_change"

        /// The kinds that say a record left when it should not have.
        package static let lateRelease: [Kind] = [.servedAfterRevocation, .servedAfterExpiry, .servedAfterRegistrationChange]
    }

    package let requestId: Bytes32
    package let kind: Kind
    /// Where the check found it: a reorganisation below this block forgets the finding.
    package let blockNumber: UInt64

    package init(requestId: Bytes32, kind: Kind, blockNumber: UInt64) {
        self.requestId = requestId
        self.kind = kind
        self.blockNumber = blockNumber
    }
}
