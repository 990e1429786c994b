import EthereumCore

/// Who is registered staff of some custodian, as the contract's `StaffRegistered` and
/// `StaffDeregistered` events tell it, from the contract's first block to the watcher's head.
///
/// It is a filter, not an authority: a signer it does not know is refused without any database
/// or chain work, which is what keeps strangers' requests cheap (any 65 bytes recover *some*
/// address). A signer it does know is still checked against the contract's state at the head
/// (`getStaff`, cached per block), so a directory that missed an event can only refuse too
/// much, never admit anyone.
struct StaffDirectory: Sendable {
    /// staff → the custodian that registered it.
    private(set) var members: [Address: Address] = [:]
    /// Events of blocks up to here are applied; older ones are ignored, so overlapping polls
    /// cannot replay a registration over a later deregistration.
    private(set) var appliedThrough: UInt64

    /// One registration change, in chain order.
    struct Change: Sendable {
        let block: UInt64
        let staff: Address
        /// The registering custodian; nil for a deregistration.
        let custodian: Address?
    }

    init(appliedThrough: UInt64) {
        self.appliedThrough = appliedThrough
    }

    func contains(_ staff: Address) -> Bool { members[staff] != nil }

    var count: Int { members.count }

    /// Applies the changes of the blocks after ``appliedThrough`` up to `block`.
    mutating func apply(_ changes: [Change], through block: UInt64) {
        guard block > appliedThrough else { return }
        for change in changes where change.block > appliedThrough && change.block <= block {
            members[change.staff] = change.custodian
        }
        appliedThrough = block
    }

    /// The registration change a contract log carries, if any.
    static func change(in event: MedicalAccessEvent, block: UInt64) -> Change? {
        switch event {
        case .staffRegistered(let staff, let custodian, _): Change(block: block, staff: staff, custodian: custodian)
        case .staffDeregistered(let staff, _): Change(block: block, staff: staff, custodian: nil)
        default: nil
        }
    }
}
