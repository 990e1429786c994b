import EthereumCore

/// A grant as the contract holds it.
public struct GrantState: Equatable, Sendable {
    public let token: Bytes32
    public let patient: Address
    public let staff: Address
    public let recordId: Bytes32
    public let custodian: Address
    /// Unix time; the grant is valid while now < expiresAt.
    public let expiresAt: UInt64
    /// The registration the grant was made under: the custodian that had registered the staff
    /// member, and the staff member's registration epoch. The grant dies with it.
    public let staffCustodian: Address
    public let staffEpoch: UInt64
    public let revoked: Bool
    /// Block numbers.
    public let grantedAt: UInt64
    public let updatedAt: UInt64

    package init(token: Bytes32, patient: Address, staff: Address, recordId: Bytes32, custodian: Address, expiresAt: UInt64, staffCustodian: Address, staffEpoch: UInt64, revoked: Bool, grantedAt: UInt64, updatedAt: UInt64) {
        self.token = token
        self.patient = patient
        self.staff = staff
        self.recordId = recordId
        self.custodian = custodian
        self.expiresAt = expiresAt
        self.staffCustodian = staffCustodian
        self.staffEpoch = staffEpoch
        self.revoked = revoked
        self.grantedAt = grantedAt
        self.updatedAt = updatedAt
    }

    package init(token: Bytes32, tuple: ABIValue) throws {
        let f = try tuple.asArray()
        self.token = token
        self.patient = try f[0].asAddress()
        self.staff = try f[1].asAddress()
        self.recordId = try f[2].asBytes32()
        self.custodian = try f[3].asAddress()
        self.expiresAt = try f[4].asUInt64()
        self.staffCustodian = try f[5].asAddress()
        self.staffEpoch = try f[6].asUInt64()
        self.revoked = try f[7].asBool()
        self.grantedAt = try f[8].asUInt64()
        self.updatedAt = try f[9].asUInt64()
    }
}

/// A record as anchored on-chain.
public struct AnchoredRecord: Equatable, Sendable {
    public let recordId: Bytes32
    public let patient: Address
    public let custodian: Address
    /// SHA-256 of the plaintext.
    public let contentHash: Bytes32
    public let encryptedAddress: [UInt8]
    /// Block number.
    public let anchoredAt: UInt64

    package init(recordId: Bytes32, patient: Address, custodian: Address, contentHash: Bytes32, encryptedAddress: [UInt8], anchoredAt: UInt64) {
        self.recordId = recordId
        self.patient = patient
        self.custodian = custodian
        self.contentHash = contentHash
        self.encryptedAddress = encryptedAddress
        self.anchoredAt = anchoredAt
    }

    package init(recordId: Bytes32, tuple: ABIValue) throws {
        let f = try tuple.asArray()
        self.recordId = recordId
        self.patient = try f[0].asAddress()
        self.custodian = try f[1].asAddress()
        self.contentHash = try f[2].asBytes32()
        self.encryptedAddress = try f[3].asBytes()
        self.anchoredAt = try f[4].asUInt64()
    }
}

/// A staff member's registration as the contract holds it.
public struct StaffRegistration: Equatable, Hashable, Sendable {
    /// The custodian that registered the staff member; zero if not registered now.
    public let custodian: Address
    /// How many times the address was ever registered (grants remember it).
    public let epoch: UInt64
    /// Block of the latest registration.
    public let registeredAt: UInt64

    public init(custodian: Address, epoch: UInt64, registeredAt: UInt64) {
        self.custodian = custodian
        self.epoch = epoch
        self.registeredAt = registeredAt
    }

    /// Whether the staff member is registered now.
    public var isRegistered: Bool { custodian != .zero }
}

/// A custodian as registered on-chain.
public struct CustodianState: Equatable, Sendable {
    public let name: String
    public let active: Bool
    /// Block number; 0 if never registered.
    public let registeredAt: UInt64
    /// The base URL of its gateway as it published it on-chain; empty if it has not.
    public let gateway: String
    /// The SHA-256 of the staff directory its gateway serves; zero if it has published none.
    public let directory: Bytes32

    package init(name: String, active: Bool, registeredAt: UInt64, gateway: String = "", directory: Bytes32 = .zero) {
        self.name = name
        self.active = active
        self.registeredAt = registeredAt
        self.gateway = gateway
        self.directory = directory
    }
}

/// One `anchorRecord` / `publish` anchor.
public struct RecordAnchorInput: Equatable, Sendable {
    public let recordId: Bytes32
    public let patient: Address
    public let contentHash: Bytes32
    public let encryptedAddress: [UInt8]

    public init(recordId: Bytes32, patient: Address, contentHash: Bytes32, encryptedAddress: [UInt8]) {
        self.recordId = recordId
        self.patient = patient
        self.contentHash = contentHash
        self.encryptedAddress = encryptedAddress
    }

    package var abiValue: ABIValue {
        .tuple([.bytes32(recordId), .address(patient), .bytes32(contentHash), .bytes(encryptedAddress)])
    }
}

/// One entry of the on-chain access log.
public struct AccessEntry: Equatable, Sendable {
    public let requestId: Bytes32
    public let token: Bytes32
    public let recordId: Bytes32
    public let staff: Address
    public let purpose: UInt8
    /// 1 = served; other values are denial reasons (see `AccessOutcome`).
    public let outcome: UInt8
    /// Unix time the gateway decided.
    public let accessedAt: UInt64
    /// Keccak-256 of the custodian's full off-chain entry.
    public let commitment: Bytes32

    public init(requestId: Bytes32, token: Bytes32, recordId: Bytes32, staff: Address, purpose: UInt8, outcome: UInt8, accessedAt: UInt64, commitment: Bytes32) {
        self.requestId = requestId
        self.token = token
        self.recordId = recordId
        self.staff = staff
        self.purpose = purpose
        self.outcome = outcome
        self.accessedAt = accessedAt
        self.commitment = commitment
    }

    package var abiValue: ABIValue {
        .tuple([
            .bytes32(requestId), .bytes32(token), .bytes32(recordId), .address(staff), .uint64(UInt64(purpose)),
            .uint64(UInt64(outcome)), .uint64(accessedAt), .bytes32(commitment),
        ])
    }
}
