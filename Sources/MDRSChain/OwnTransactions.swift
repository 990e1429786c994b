import EthereumCore
import EthereumRPC

/// The outbox writer's transactions that were sent and not yet seen in a block, and the rule
/// for when a new block needs no `eth_getLogs`.
///
/// The writer only sends the configured contract's `publish` and `logAccess`, which anchor
/// records and log accesses: events the chain cache ignores. A block that holds nothing else
/// cannot have revoked a grant or changed a staff member or custodian. A revocation is always
/// the patient's own transaction, so a block holding one never qualifies.
struct OwnTransactions: Sendable {
    /// The most hashes remembered. Forgetting them all costs one `eth_getLogs`, never a change
    /// missed: an unknown hash only makes its block read as usual.
    let capacity: Int
    private(set) var pending = Set<Bytes32>()

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Remembers a hash the writer is about to send.
    mutating func note(_ hash: Bytes32) {
        if pending.count >= capacity { pending.removeAll() }
        pending.insert(hash)
    }

    /// Whether `block` holds only own transactions, or none, so its logs need not be read. Its
    /// own transactions are then forgotten (each is mined once).
    ///
    /// A node's answer without a transaction list says nothing about the block, and an empty
    /// list must come with no gas used: either way the block is read as usual.
    mutating func coverAll(of block: Block) -> Bool {
        coverAll(listed: block.listsTransactions, hashes: block.transactionHashes, gasUsed: block.gasUsed)
    }

    mutating func coverAll(listed: Bool, hashes: [Bytes32], gasUsed: UInt64) -> Bool {
        guard listed, !hashes.isEmpty || gasUsed == 0 else { return false }
        guard hashes.allSatisfy(pending.contains) else { return false }
        pending.subtract(hashes)
        return true
    }
}
