/// An EIP-2930 access list entry: an address and storage slots the transaction pre-declares.
public struct AccessListEntry: Equatable, Hashable, Sendable {
    public let address: Address
    public let storageKeys: [Bytes32]

    public init(address: Address, storageKeys: [Bytes32] = []) {
        self.address = address
        self.storageKeys = storageKeys
    }

    var rlp: RLPItem {
        .list([.bytes(address.bytes), .list(storageKeys.map { .bytes($0.bytes) })])
    }

    init(rlp: RLPItem) throws {
        let fields = try rlp.asList()
        guard fields.count == 2 else {
            throw TransactionError(.malformed, "access list entry needs 2 fields, has \(fields.count)")
        }
        self.address = try Address(bytes: try fields[0].asBytes())
        self.storageKeys = try fields[1].asList().map { try Bytes32(bytes: try $0.asBytes()) }
    }
}
