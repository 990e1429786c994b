# pragma version 0.4.3
# pragma evm-version paris
# pragma optimize gas
"""
@title MedicalAccess
@license MIT
@notice Consortium registry for the MDRS gateway: custodians (hospitals) and their
        staff, anchored medical records, patient-signed access grants, and the
        custodians' on-chain access log.
@dev    Errors are Solidity-compatible custom errors: the revert data is the 4-byte
        selector of the signature below followed by the ABI-encoded arguments, so
        any Ethereum toolkit decodes them from the ABI. Vyper has no `error`
        declarations; each error is declared by a `# @error` line that
        deploy/contract/compile.py turns into an ABI "error" entry.

        EVM version `paris` (no PUSH0, MCOPY or transient storage) is chosen on
        purpose: the contract must run on Besu/QBFT consortium genesis files that
        stop at London/Paris and on FISCO BCOS, as well as on go-ethereum and the
        project's dev chain (py-evm, Prague), which all execute Paris bytecode.

        Block numbers (not timestamps) are stored for "when" fields that auditors
        use to find the transaction; expiry is a Unix time because patients and
        staff reason in wall-clock time.
"""

# ---------------------------------------------------------------------------
# Custom errors (selector ++ abi-encoded arguments, exactly like Solidity)
# ---------------------------------------------------------------------------
# @error NotAdmin(address caller)
# @error NotCustodian(address caller)
# @error CustodianAlreadyRegistered(address custodian)
# @error StaffAlreadyRegistered(address staff)
# @error StaffNotRegistered(address staff)
# @error NotStaffCustodian(address caller, address staff)
# @error ZeroAddress()
# @error ZeroRecordId()
# @error RecordAlreadyAnchored(bytes32 recordId)
# @error RecordNotFound(bytes32 recordId)
# @error NotRecordPatient(address caller, bytes32 recordId)
# @error InvalidExpiry(uint64 expiresAt)
# @error UnknownGrant(bytes32 token)
# @error NotGrantPatient(address caller, bytes32 token)
# @error GrantAlreadyRevoked(bytes32 token)
# @error GrantRevoked(bytes32 token)
# @error GrantExpired(bytes32 token, uint64 expiresAt)
# @error NotGrantee(bytes32 token, address staff)
# @error EmptyBatch()
# @error OutOfSequence(uint64 expected, uint64 given)
# @error RegistrationChanged(bytes32 token, address staff)
# @error ForeignDenial(bytes32 requestId)
# @error NotEmergencyStaff(address staff)
# @error InvalidEmergency(uint8 reason, bytes32 justification)
# @error InvalidEmergencyRules(uint64 window, uint64 dailyLimit)
# @error InvalidEmergencyPolicy(uint8 policy)
# @error UnknownEmergency(bytes32 emergency)
# @error NotEmergencyCustodian(address caller, bytes32 emergency)
# @error EmergencyAlreadyReviewed(bytes32 emergency)
# @error InvalidVerdict(uint8 verdict)

# ---------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------
struct Custodian:
    name: String[64]
    active: bool
    registeredAt: uint256  # block number; 0 = never registered
    gateway: String[256]  # the base URL of the custodian's gateway; empty until it publishes one
    directory: bytes32  # SHA-256 of the staff directory its gateway serves at /v1/staff; zero until published

struct StaffMember:
    custodian: address  # zero = not registered (now)
    # How many times this address was ever registered: a grant remembers the
    # registration it was made under and dies with it.
    epoch: uint64
    registeredAt: uint256  # block number of the current (or last) registration

struct Record:
    patient: address
    custodian: address
    contentHash: bytes32  # SHA-256 of the plaintext
    encryptedAddress: Bytes[128]  # opaque to the chain; only the custodian opens it
    anchoredAt: uint256  # block number

struct RecordAnchor:
    recordId: bytes32
    patient: address
    contentHash: bytes32
    encryptedAddress: Bytes[128]

struct Grant:
    patient: address
    staff: address
    recordId: bytes32
    custodian: address  # the record's custodian (records never change custodian)
    expiresAt: uint64  # Unix time; valid while block.timestamp < expiresAt
    staffCustodian: address  # the custodian that had registered `staff` when granted
    staffEpoch: uint64  # the staff member's registration epoch when granted
    revoked: bool
    grantedAt: uint256  # block number
    updatedAt: uint256  # block number of the last change (grant or revoke)

struct Emergency:
    staff: address  # who declared it
    patient: address
    recordId: bytes32
    custodian: address  # the record's custodian, whose gateway may release it and reviews it
    staffCustodian: address  # the custodian that had registered `staff` when declared
    staffEpoch: uint64
    reason: uint8  # a reason code (the gateway's list; nonzero)
    justification: bytes32  # SHA-256 of the justification's text, which the custodian keeps
    declaredAt: uint256  # block number
    expiresAt: uint64  # Unix time; the window is open while block.timestamp < expiresAt
    verdict: uint8  # 0 not yet reviewed, 1 justified, 2 not justified
    reviewer: address  # the auditor whose review the custodian recorded
    reviewNote: bytes32  # SHA-256 of the review's note, which the custodian keeps

struct EmergencyRules:
    window: uint64  # seconds an emergency declared for this custodian's records stays open
    dailyLimit: uint64  # declarations a member of this custodian's staff may make per UTC day

struct AccessEntry:
    requestId: bytes32  # the gateway's id for the request
    token: bytes32  # grant token presented (may be anything for denials)
    recordId: bytes32
    staff: address
    purpose: uint8
    outcome: uint8  # 1 = served; anything else = a denial reason
    accessedAt: uint64  # Unix time the gateway decided
    commitment: bytes32  # hash binding the gateway's own audit row

# ---------------------------------------------------------------------------
# Events (at most three indexed topics each, so auditors can filter by
# record, staff and patient)
# ---------------------------------------------------------------------------
event CustodianRegistered:
    custodian: indexed(address)
    name: String[64]

event CustodianDeregistered:
    custodian: indexed(address)

event CustodianGatewayChanged:
    custodian: indexed(address)
    gateway: String[256]

event CustodianDirectoryChanged:
    custodian: indexed(address)
    digest: bytes32  # SHA-256 of the directory

event StaffRegistered:
    staff: indexed(address)
    custodian: indexed(address)
    epoch: uint64

event StaffDeregistered:
    staff: indexed(address)
    custodian: indexed(address)

event RecordAnchored:
    recordId: indexed(bytes32)
    patient: indexed(address)
    custodian: indexed(address)
    contentHash: bytes32
    encryptedAddress: Bytes[128]

event AccessRequested:
    recordId: indexed(bytes32)
    staff: indexed(address)
    patient: indexed(address)
    purpose: uint8

event Granted:
    token: indexed(bytes32)
    staff: indexed(address)
    patient: indexed(address)
    recordId: bytes32
    expiresAt: uint64
    staffCustodian: address
    staffEpoch: uint64

event Revoked:
    token: indexed(bytes32)
    staff: indexed(address)
    patient: indexed(address)
    recordId: bytes32

event EmergencyStaffChanged:
    staff: indexed(address)
    custodian: indexed(address)
    allowed: bool

event EmergencyRulesChanged:
    custodian: indexed(address)
    window: uint64
    dailyLimit: uint64

event EmergencyPolicyChanged:
    patient: indexed(address)
    policy: uint8  # 0 any allowed staff, 1 only the holding hospital's, 2 nobody

event EmergencyDeclared:
    emergency: indexed(bytes32)
    staff: indexed(address)
    patient: indexed(address)
    recordId: bytes32
    custodian: address
    reason: uint8
    justification: bytes32
    expiresAt: uint64

event EmergencyRefused:
    staff: indexed(address)
    patient: indexed(address)
    recordId: indexed(bytes32)
    why: uint8  # 1 the patient refuses emergency access, 2 only the holding hospital's staff, 3 the day's bound is reached

event EmergencyReviewed:
    emergency: indexed(bytes32)
    custodian: indexed(address)
    reviewer: indexed(address)
    verdict: uint8
    note: bytes32

event Accessed:
    recordId: indexed(bytes32)
    staff: indexed(address)
    patient: indexed(address)
    custodian: address
    sequence: uint64  # the custodian's entries are numbered 1, 2, 3, ... with no gap
    token: bytes32
    requestId: bytes32
    purpose: uint8
    outcome: uint8
    accessedAt: uint64
    commitment: bytes32

# ---------------------------------------------------------------------------
# Constants and state
# ---------------------------------------------------------------------------
# Batch bounds. Vyper needs a static bound for dynamic arrays. Measured: a
# logAccess of 500 served entries uses about 15.3M gas (about 30.4k per entry),
# under both a 30M block and the 2^24 per-transaction cap of Osaka-era chains.
# An anchor stores 9 slots (about 205k gas with a 128-byte encrypted address),
# so a full publish (100 anchors + 500 entries, about 36M) does NOT fit a 30M
# block: the gateway must size its rounds by gas, not only by these counts.
# Every call also pays a fixed ~43k (logAccess) / ~60k (publish) for memory:
# Vyper lays out the whole bounded array buffer below the function's locals.
MAX_ENTRIES: public(constant(uint256)) = 500
MAX_ANCHORS: public(constant(uint256)) = 100

OUTCOME_SERVED: constant(uint8) = 1
# A served entry whose grant the chain does not hold (the gateway released the
# record on a grant a dishonest node showed it, or a bug): logged, not refused,
# so that the release stays in the custodian's numbered log as an incident.
OUTCOME_SERVED_WITHOUT_GRANT: constant(uint8) = 254
# A record released in a declared emergency (break-glass): the entry's token is
# the emergency's id.
OUTCOME_SERVED_EMERGENCY: constant(uint8) = 20

# Break-glass defaults, for a custodian that set no rules of its own.
DEFAULT_EMERGENCY_WINDOW: constant(uint64) = 4 * 3600
DEFAULT_EMERGENCY_DAILY_LIMIT: constant(uint64) = 3
MAX_EMERGENCY_WINDOW: constant(uint64) = 24 * 3600
POLICY_ANY: constant(uint8) = 0
POLICY_HOLDER_ONLY: constant(uint8) = 1
POLICY_NONE: constant(uint8) = 2
REFUSED_BY_PATIENT: constant(uint8) = 1
REFUSED_NOT_HOLDER: constant(uint8) = 2
REFUSED_DAILY_LIMIT: constant(uint8) = 3

admin: public(address)

_custodians: HashMap[address, Custodian]
# staff -> its registration (custodian zero = not registered)
_staff: HashMap[address, StaffMember]
_records: HashMap[bytes32, Record]
_grants: HashMap[bytes32, Grant]
# custodian -> its log's head: the last sequence number logged (low 64 bits)
# and the block it was logged in (the bits above), in one slot so that a batch
# costs one storage write however many entries it holds. Keyed by custodian:
# each hospital numbers its own entries, and no hospital can move another's.
_logHead: HashMap[address, uint256]
# Contract-wide number of grants ever made; part of every token's preimage so
# two grants can never share a token, even for identical arguments.
_grantCount: uint256

# Break-glass. staff -> the registration epoch under which its custodian let it
# declare emergencies (0: never): the permission dies with the registration.
_emergencyStaff: HashMap[address, uint64]
# custodian -> its rules (zero fields: the defaults)
_emergencyRules: HashMap[address, EmergencyRules]
# patient -> POLICY_ANY (default), POLICY_HOLDER_ONLY or POLICY_NONE
_emergencyPolicy: HashMap[address, uint8]
# staff -> UTC day -> declarations that day
_emergencyCount: HashMap[address, HashMap[uint256, uint64]]
_emergencies: HashMap[bytes32, Emergency]
_emergencyCountAll: uint256


@deploy
def __init__():
    self.admin = msg.sender


# ---------------------------------------------------------------------------
# Guards
# ---------------------------------------------------------------------------
@internal
@view
def _require_admin():
    if msg.sender != self.admin:
        raw_revert(abi_encode(msg.sender, method_id=method_id("NotAdmin(address)")))


@internal
@view
def _require_active_custodian():
    # A deregistered custodian keeps its history (records, staff, log) but can
    # no longer add to it: its signing key may be retired or compromised.
    if not self._custodians[msg.sender].active:
        raw_revert(abi_encode(msg.sender, method_id=method_id("NotCustodian(address)")))


# ---------------------------------------------------------------------------
# Custodians
# ---------------------------------------------------------------------------
@external
def registerCustodian(custodian: address, name: String[64]):
    """
    @notice Admit a hospital's signing address to the consortium.
    @dev An address that was ever registered cannot be registered again, not even
         after deregistration: a retired signing key stays retired (it may have
         been compromised), and a hospital that returns does so with a new key.
    """
    self._require_admin()
    if custodian == empty(address):
        raw_revert(method_id("ZeroAddress()"))
    if self._custodians[custodian].registeredAt != 0:
        raw_revert(abi_encode(custodian, method_id=method_id("CustodianAlreadyRegistered(address)")))
    self._custodians[custodian] = Custodian(
        name=name, active=True, registeredAt=block.number, gateway="", directory=empty(bytes32)
    )
    log CustodianRegistered(custodian=custodian, name=name)


@external
def deregisterCustodian(custodian: address):
    """
    @notice Stop a custodian from anchoring, logging and registering staff.
    @dev Its records, grants and log stay on-chain and readable (history is
         evidence). Its staff stay registered: they are people, and another
         custodian may still serve them; the custodian itself may still
         deregister them.
    """
    self._require_admin()
    if not self._custodians[custodian].active:
        raw_revert(abi_encode(custodian, method_id=method_id("NotCustodian(address)")))
    self._custodians[custodian].active = False
    log CustodianDeregistered(custodian=custodian)


@external
def setGateway(gateway: String[256]):
    """
    @notice Publish (or change) the base URL of the calling custodian's gateway,
            where doctors of other hospitals fetch the records it holds.
    @dev Only the custodian itself, while active. The URL is not checked here
         (https except on loopback is the clients' rule); an empty one withdraws it.
    """
    self._require_active_custodian()
    self._custodians[msg.sender].gateway = gateway
    log CustodianGatewayChanged(custodian=msg.sender, gateway=gateway)


@external
def setDirectory(digest: bytes32):
    """
    @notice Publish the SHA-256 of the staff directory the calling custodian's
            gateway serves (its staff's names, roles and departments, kept off-chain):
            clients accept a directory only if its bytes hash to this.
    @dev Only the custodian itself, while active.
    """
    self._require_active_custodian()
    self._custodians[msg.sender].directory = digest
    log CustodianDirectoryChanged(custodian=msg.sender, digest=digest)


@external
@view
def getCustodian(custodian: address) -> Custodian:
    """
    @notice The custodian's name, whether it is active, the block it was
            registered in, its gateway's URL and its staff directory's SHA-256; all
            zero for an unknown address.
    """
    return self._custodians[custodian]


# ---------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------
@external
def registerStaff(staff: address):
    """
    @notice Register a member of the medical staff under the calling custodian.
    @dev A staff address belongs to one custodian at a time; to move, the old
         custodian deregisters it first.
    """
    self._require_active_custodian()
    if staff == empty(address):
        raw_revert(method_id("ZeroAddress()"))
    if self._staff[staff].custodian != empty(address):
        raw_revert(abi_encode(staff, method_id=method_id("StaffAlreadyRegistered(address)")))
    epoch: uint64 = self._staff[staff].epoch + 1
    self._staff[staff] = StaffMember(custodian=msg.sender, epoch=epoch, registeredAt=block.number)
    log StaffRegistered(staff=staff, custodian=msg.sender, epoch=epoch)


@external
def deregisterStaff(staff: address):
    """
    @notice Remove a staff member; only the custodian that registered it may.
    @dev Allowed even for a deregistered custodian, so that a hospital leaving
         the consortium can still off-board its people. Existing grants to the
         staff stop passing checkGrant (StaffNotRegistered), and stay dead if
         any custodian registers the address again (RegistrationChanged): a
         grant is consent for a person in a role at a hospital, not for a key.
    """
    registrar: address = self._staff[staff].custodian
    if registrar == empty(address):
        raw_revert(abi_encode(staff, method_id=method_id("StaffNotRegistered(address)")))
    if registrar != msg.sender:
        raw_revert(abi_encode(msg.sender, staff, method_id=method_id("NotStaffCustodian(address,address)")))
    self._staff[staff].custodian = empty(address)
    log StaffDeregistered(staff=staff, custodian=msg.sender)


@external
@view
def staffCustodian(staff: address) -> address:
    """
    @notice The custodian that registered `staff`, or zero if not registered.
    """
    return self._staff[staff].custodian


@external
@view
def getStaff(staff: address) -> StaffMember:
    """
    @notice The staff member's registration: its custodian (zero if not
            registered now), its epoch (how many times it was ever registered)
            and the block of its latest registration.
    """
    return self._staff[staff]


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------
@internal
def _anchor(recordId: bytes32, patient: address, contentHash: bytes32, encryptedAddress: Bytes[128]):
    # Caller has checked that msg.sender is an active custodian.
    if recordId == empty(bytes32):
        raw_revert(method_id("ZeroRecordId()"))
    if patient == empty(address):
        raw_revert(method_id("ZeroAddress()"))
    # `patient` is never zero for an anchored record, so it marks existence.
    if self._records[recordId].patient != empty(address):
        raw_revert(abi_encode(recordId, method_id=method_id("RecordAlreadyAnchored(bytes32)")))
    self._records[recordId] = Record(
        patient=patient,
        custodian=msg.sender,
        contentHash=contentHash,
        encryptedAddress=encryptedAddress,
        anchoredAt=block.number,
    )
    log RecordAnchored(
        recordId=recordId,
        patient=patient,
        custodian=msg.sender,
        contentHash=contentHash,
        encryptedAddress=encryptedAddress,
    )


@external
def anchorRecord(recordId: bytes32, patient: address, contentHash: bytes32, encryptedAddress: Bytes[128]):
    """
    @notice Put a stored record on-chain with its owner, content hash and
            encrypted address.
    @dev Anchors are write-once: neither the owner nor the custodian of a record
         can change, which is what lets logAccess trust a grant's copy of the
         record's custodian.
    """
    self._require_active_custodian()
    self._anchor(recordId, patient, contentHash, encryptedAddress)


@external
@view
def getRecord(recordId: bytes32) -> Record:
    """
    @notice The anchored record; reverts RecordNotFound if never anchored.
    """
    if self._records[recordId].patient == empty(address):
        raw_revert(abi_encode(recordId, method_id=method_id("RecordNotFound(bytes32)")))
    return self._records[recordId]


# ---------------------------------------------------------------------------
# Consent
# ---------------------------------------------------------------------------
@external
def requestAccess(recordId: bytes32, purpose: uint8):
    """
    @notice A registered staff member asks the record's patient for access.
    @dev Changes no state: the event is the request, for the patient's wallet
         to watch (filter by the indexed patient).
    """
    if self._staff[msg.sender].custodian == empty(address):
        raw_revert(abi_encode(msg.sender, method_id=method_id("StaffNotRegistered(address)")))
    patient: address = self._records[recordId].patient
    if patient == empty(address):
        raw_revert(abi_encode(recordId, method_id=method_id("RecordNotFound(bytes32)")))
    log AccessRequested(recordId=recordId, staff=msg.sender, patient=patient, purpose=purpose)


@external
def grant(staff: address, recordId: bytes32, expiresAt: uint64) -> bytes32:
    """
    @notice The record's patient lets `staff` fetch the record until `expiresAt`.
    @return token The grant's id. It is public, so it proves nothing alone: the
            gateway also requires a request signed by the grant's staff key.
    @dev The token hashes the chain, this contract, the parties, the record, the
         expiry, a contract-wide counter and the previous block's hash: the
         counter makes it unique, the block hash makes it unpredictable from
         earlier tokens. The grant records the staff member's registration
         (custodian and epoch): it is valid only while that registration lasts.
    """
    patient: address = self._records[recordId].patient
    if patient == empty(address):
        raw_revert(abi_encode(recordId, method_id=method_id("RecordNotFound(bytes32)")))
    if msg.sender != patient:
        raw_revert(abi_encode(msg.sender, recordId, method_id=method_id("NotRecordPatient(address,bytes32)")))
    member: StaffMember = self._staff[staff]
    if member.custodian == empty(address):
        raw_revert(abi_encode(staff, method_id=method_id("StaffNotRegistered(address)")))
    if convert(expiresAt, uint256) <= block.timestamp:
        raw_revert(abi_encode(expiresAt, method_id=method_id("InvalidExpiry(uint64)")))

    count: uint256 = self._grantCount + 1
    self._grantCount = count
    token: bytes32 = keccak256(
        abi_encode(
            chain.id,
            self,
            msg.sender,
            staff,
            recordId,
            expiresAt,
            count,
            blockhash(block.number - 1),
        )
    )
    # Fields are written one by one so that the zero `revoked` costs no SSTORE.
    self._grants[token].patient = msg.sender
    self._grants[token].staff = staff
    self._grants[token].recordId = recordId
    self._grants[token].custodian = self._records[recordId].custodian
    self._grants[token].expiresAt = expiresAt
    self._grants[token].staffCustodian = member.custodian
    self._grants[token].staffEpoch = member.epoch
    self._grants[token].grantedAt = block.number
    self._grants[token].updatedAt = block.number
    log Granted(
        token=token,
        staff=staff,
        patient=msg.sender,
        recordId=recordId,
        expiresAt=expiresAt,
        staffCustodian=member.custodian,
        staffEpoch=member.epoch,
    )
    return token


@external
def revoke(token: bytes32):
    """
    @notice The grant's patient withdraws it. Takes effect from the block that
            includes this transaction; accesses logged later but served before
            stay valid log entries.
    """
    patient: address = self._grants[token].patient
    if patient == empty(address):
        raw_revert(abi_encode(token, method_id=method_id("UnknownGrant(bytes32)")))
    if msg.sender != patient:
        raw_revert(abi_encode(msg.sender, token, method_id=method_id("NotGrantPatient(address,bytes32)")))
    if self._grants[token].revoked:
        raw_revert(abi_encode(token, method_id=method_id("GrantAlreadyRevoked(bytes32)")))
    self._grants[token].revoked = True
    self._grants[token].updatedAt = block.number
    log Revoked(
        token=token,
        staff=self._grants[token].staff,
        patient=patient,
        recordId=self._grants[token].recordId,
    )


@external
@view
def getGrant(token: bytes32) -> Grant:
    """
    @notice The grant as stored, whatever its state; reverts UnknownGrant.
    """
    if self._grants[token].patient == empty(address):
        raw_revert(abi_encode(token, method_id=method_id("UnknownGrant(bytes32)")))
    return self._grants[token]


@external
@view
def checkGrant(token: bytes32, staff: address) -> Grant:
    """
    @notice The grant if `staff` may use it now (at this block's timestamp),
            else the reason as a custom error, checked in this order:
            UnknownGrant, NotGrantee, GrantRevoked, GrantExpired,
            StaffNotRegistered (the staff was deregistered since the grant),
            RegistrationChanged (the staff was deregistered and registered
            again, by the same or another custodian, since the grant).
    """
    g: Grant = self._grants[token]
    if g.patient == empty(address):
        raw_revert(abi_encode(token, method_id=method_id("UnknownGrant(bytes32)")))
    if g.staff != staff:
        raw_revert(abi_encode(token, staff, method_id=method_id("NotGrantee(bytes32,address)")))
    if g.revoked:
        raw_revert(abi_encode(token, method_id=method_id("GrantRevoked(bytes32)")))
    if convert(g.expiresAt, uint256) <= block.timestamp:
        raw_revert(abi_encode(token, g.expiresAt, method_id=method_id("GrantExpired(bytes32,uint64)")))
    member: StaffMember = self._staff[staff]
    if member.custodian == empty(address):
        raw_revert(abi_encode(staff, method_id=method_id("StaffNotRegistered(address)")))
    if member.custodian != g.staffCustodian or member.epoch != g.staffEpoch:
        raw_revert(abi_encode(token, staff, method_id=method_id("RegistrationChanged(bytes32,address)")))
    return g


# ---------------------------------------------------------------------------
# Break-glass: emergency access without a grant, bounded and reviewed
# ---------------------------------------------------------------------------
@external
def setEmergencyStaff(staff: address, allowed: bool):
    """
    @notice The custodian that registered `staff` lets it declare emergencies
            (or no longer). The permission holds for the current registration
            only: deregistered and registered again, the staff needs it anew.
    """
    self._require_active_custodian()
    member: StaffMember = self._staff[staff]
    if member.custodian == empty(address):
        raw_revert(abi_encode(staff, method_id=method_id("StaffNotRegistered(address)")))
    if member.custodian != msg.sender:
        raw_revert(abi_encode(msg.sender, staff, method_id=method_id("NotStaffCustodian(address,address)")))
    self._emergencyStaff[staff] = member.epoch if allowed else 0
    log EmergencyStaffChanged(staff=staff, custodian=msg.sender, allowed=allowed)


@internal
@view
def _may_declare(staff: address) -> bool:
    member: StaffMember = self._staff[staff]
    return member.custodian != empty(address) and self._emergencyStaff[staff] == member.epoch


@external
@view
def mayDeclareEmergency(staff: address) -> bool:
    """
    @notice Whether `staff` may declare an emergency now (registered, and
            allowed by its custodian under this registration).
    """
    return self._may_declare(staff)


@external
def setEmergencyRules(window: uint64, dailyLimit: uint64):
    """
    @notice The calling custodian's rules: how long an emergency declared for
            its records stays open (1 s to 24 h), and how many declarations a
            member of its staff may make per UTC day (at least 1).
    """
    self._require_active_custodian()
    if window == 0 or window > MAX_EMERGENCY_WINDOW or dailyLimit == 0:
        raw_revert(abi_encode(window, dailyLimit, method_id=method_id("InvalidEmergencyRules(uint64,uint64)")))
    self._emergencyRules[msg.sender] = EmergencyRules(window=window, dailyLimit=dailyLimit)
    log EmergencyRulesChanged(custodian=msg.sender, window=window, dailyLimit=dailyLimit)


@internal
@view
def _rules(custodian: address) -> EmergencyRules:
    rules: EmergencyRules = self._emergencyRules[custodian]
    if rules.window == 0:
        rules.window = DEFAULT_EMERGENCY_WINDOW
    if rules.dailyLimit == 0:
        rules.dailyLimit = DEFAULT_EMERGENCY_DAILY_LIMIT
    return rules


@external
@view
def emergencyRules(custodian: address) -> EmergencyRules:
    """
    @notice The custodian's break-glass rules, the defaults filled in.
    """
    return self._rules(custodian)


@external
def setEmergencyPolicy(policy: uint8):
    """
    @notice The calling patient's stance on emergency access to their records:
            0 any staff their hospital allows (the default), 1 only staff of
            the hospital that holds the record, 2 nobody.
    """
    if policy > POLICY_NONE:
        raw_revert(abi_encode(policy, method_id=method_id("InvalidEmergencyPolicy(uint8)")))
    self._emergencyPolicy[msg.sender] = policy
    log EmergencyPolicyChanged(patient=msg.sender, policy=policy)


@external
@view
def emergencyPolicy(patient: address) -> uint8:
    return self._emergencyPolicy[patient]


@external
def declareEmergency(recordId: bytes32, reason: uint8, justification: bytes32) -> bytes32:
    """
    @notice A staff member allowed to break the glass declares an emergency for
            one record: it opens a window (the holding custodian's rules) in
            which the holding gateway may release that record to that staff
            member, for emergency treatment, without a grant.
    @return emergency The declaration's id (zero if refused, see below), which
            the staff presents in place of a grant token.
    @dev A stranger, staff without the permission, an unknown record or an
         empty reason or justification revert. The patient's refusal and the
         day's bound do not: the attempt is logged (EmergencyRefused) and zero
         returned, so that every refused emergency stays on the record.
    """
    if not self._may_declare(msg.sender):
        raw_revert(abi_encode(msg.sender, method_id=method_id("NotEmergencyStaff(address)")))
    if reason == 0 or justification == empty(bytes32):
        raw_revert(abi_encode(reason, justification, method_id=method_id("InvalidEmergency(uint8,bytes32)")))
    patient: address = self._records[recordId].patient
    if patient == empty(address):
        raw_revert(abi_encode(recordId, method_id=method_id("RecordNotFound(bytes32)")))
    holder: address = self._records[recordId].custodian
    member: StaffMember = self._staff[msg.sender]

    policy: uint8 = self._emergencyPolicy[patient]
    why: uint8 = 0
    if policy == POLICY_NONE:
        why = REFUSED_BY_PATIENT
    elif policy == POLICY_HOLDER_ONLY and member.custodian != holder:
        why = REFUSED_NOT_HOLDER
    day: uint256 = block.timestamp // 86400
    declared: uint64 = self._emergencyCount[msg.sender][day]
    if why == 0 and declared >= self._rules(member.custodian).dailyLimit:
        why = REFUSED_DAILY_LIMIT
    if why != 0:
        log EmergencyRefused(staff=msg.sender, patient=patient, recordId=recordId, why=why)
        return empty(bytes32)

    self._emergencyCount[msg.sender][day] = declared + 1
    count: uint256 = self._emergencyCountAll + 1
    self._emergencyCountAll = count
    emergency: bytes32 = keccak256(abi_encode(chain.id, self, msg.sender, recordId, count, blockhash(block.number - 1)))
    expiresAt: uint64 = convert(block.timestamp, uint64) + self._rules(holder).window
    self._emergencies[emergency] = Emergency(
        staff=msg.sender,
        patient=patient,
        recordId=recordId,
        custodian=holder,
        staffCustodian=member.custodian,
        staffEpoch=member.epoch,
        reason=reason,
        justification=justification,
        declaredAt=block.number,
        expiresAt=expiresAt,
        verdict=0,
        reviewer=empty(address),
        reviewNote=empty(bytes32),
    )
    log EmergencyDeclared(
        emergency=emergency,
        staff=msg.sender,
        patient=patient,
        recordId=recordId,
        custodian=holder,
        reason=reason,
        justification=justification,
        expiresAt=expiresAt,
    )
    return emergency


@external
@view
def getEmergency(emergency: bytes32) -> Emergency:
    """
    @notice The declaration as stored; reverts UnknownEmergency.
    """
    if self._emergencies[emergency].staff == empty(address):
        raw_revert(abi_encode(emergency, method_id=method_id("UnknownEmergency(bytes32)")))
    return self._emergencies[emergency]


@external
def reviewEmergency(emergency: bytes32, reviewer: address, verdict: uint8, note: bytes32):
    """
    @notice The record's custodian records its auditor's review of an
            emergency: the verdict (1 justified, 2 not justified), who reviewed
            it, and the SHA-256 of the signed note the custodian keeps. Once.
    """
    self._require_active_custodian()
    holder: address = self._emergencies[emergency].custodian
    if holder == empty(address):
        raw_revert(abi_encode(emergency, method_id=method_id("UnknownEmergency(bytes32)")))
    if holder != msg.sender:
        raw_revert(abi_encode(msg.sender, emergency, method_id=method_id("NotEmergencyCustodian(address,bytes32)")))
    if self._emergencies[emergency].verdict != 0:
        raw_revert(abi_encode(emergency, method_id=method_id("EmergencyAlreadyReviewed(bytes32)")))
    if verdict == 0 or verdict > 2 or reviewer == empty(address):
        raw_revert(abi_encode(verdict, method_id=method_id("InvalidVerdict(uint8)")))
    self._emergencies[emergency].verdict = verdict
    self._emergencies[emergency].reviewer = reviewer
    self._emergencies[emergency].reviewNote = note
    log EmergencyReviewed(emergency=emergency, custodian=msg.sender, reviewer=reviewer, verdict=verdict, note=note)


# ---------------------------------------------------------------------------
# Access log
# ---------------------------------------------------------------------------
@internal
def _log_entry(e: AccessEntry, sequence: uint64):
    # Caller has checked that msg.sender is an active custodian, and numbers
    # the entries (see _log_entries).
    patient: address = empty(address)
    outcome: uint8 = e.outcome
    granted: bool = False
    if outcome == OUTCOME_SERVED:
        # A served access names a grant to this staff for this record held by
        # the logging custodian. The grant's `custodian` field is the record's
        # custodian (anchors are write-once), which saves reading the record.
        # Revocation, expiry and staff deregistration are deliberately NOT
        # checked here: the access happened off-chain while the grant was
        # valid, and the log transaction may land blocks later.
        staff: address = self._grants[e.token].staff
        granted = (
            staff != empty(address)
            and staff == e.staff
            and self._grants[e.token].recordId == e.recordId
            and self._grants[e.token].custodian == msg.sender
        )
        if granted:
            patient = self._grants[e.token].patient
        else:
            outcome = OUTCOME_SERVED_WITHOUT_GRANT
    elif outcome == OUTCOME_SERVED_EMERGENCY:
        # A release in a declared emergency names the declaration (its id as
        # the token), made by this staff for this record held here. As for
        # grants, the window is not checked here: the log may land later.
        granted = (
            self._emergencies[e.token].staff == e.staff
            and e.staff != empty(address)
            and self._emergencies[e.token].recordId == e.recordId
            and self._emergencies[e.token].custodian == msg.sender
        )
        if granted:
            patient = self._emergencies[e.token].patient
        else:
            outcome = OUTCOME_SERVED_WITHOUT_GRANT
    if not granted:
        # Denials are logged as the gateway saw them (unknown token, bad
        # signature, ...); the record may not even exist (patient stays zero).
        # A custodian may only speak of its own: a record it holds, or staff
        # it registered. Else any hospital could fill the log with denials
        # that name others' records or people.
        holder: address = self._records[e.recordId].custodian
        if holder != msg.sender and self._staff[e.staff].custodian != msg.sender:
            raw_revert(abi_encode(e.requestId, method_id=method_id("ForeignDenial(bytes32)")))
        # The patient is named (and indexed, so it reaches the patient's feed) only for the
        # logging custodian's own records: a hospital must not be able to fill other
        # hospitals' patients' feeds with denials of its own staff.
        if holder == msg.sender:
            patient = self._records[e.recordId].patient

    log Accessed(
        recordId=e.recordId,
        staff=e.staff,
        patient=patient,
        custodian=msg.sender,
        sequence=sequence,
        token=e.token,
        requestId=e.requestId,
        purpose=e.purpose,
        outcome=outcome,
        accessedAt=e.accessedAt,
        commitment=e.commitment,
    )


@internal
def _log_entries(firstSequence: uint64, entries: DynArray[AccessEntry, MAX_ENTRIES]):
    # The custodian's entries are numbered 1, 2, 3, ... across all its
    # batches: a batch must start right after the last number logged and is
    # numbered contiguously from there. A replayed batch (the outbox resending
    # one whose first transaction did land) and a batch from a stale view of
    # the log both revert whole, and the head tells the gateway where the log
    # stands. Because only the head is stored, not each request id, an entry
    # costs its event and calldata, not a storage slot; and an auditor who
    # finds fewer entries than the head's number knows entries are hidden.
    head: uint256 = self._logHead[msg.sender]
    expected: uint64 = convert(head % 2**64, uint64) + 1
    if firstSequence != expected:
        raw_revert(abi_encode(expected, firstSequence, method_id=method_id("OutOfSequence(uint64,uint64)")))
    # Indexing (rather than `for e in entries`) copies each entry straight
    # into _log_entry's frame, without an intermediate copy.
    for i: uint256 in range(len(entries), bound=MAX_ENTRIES):
        self._log_entry(entries[i], firstSequence + convert(i, uint64))
    last: uint64 = firstSequence + convert(len(entries), uint64) - 1
    self._logHead[msg.sender] = (block.number << 64) | convert(last, uint256)


@external
def logAccess(firstSequence: uint64, entries: DynArray[AccessEntry, MAX_ENTRIES]):
    """
    @notice Write a batch of the custodian's accesses, one Accessed event each,
            numbered from `firstSequence` (the custodian's last number + 1).
    @dev All or nothing: a batch out of sequence (OutOfSequence) or with a
         denial about another hospital's record and staff (ForeignDenial)
         reverts whole, so the gateway never has a half-logged batch to
         reconcile. A served entry whose grant the chain does not hold is
         logged with outcome OUTCOME_SERVED_WITHOUT_GRANT, not refused: its
         number must not become a hole.
    """
    self._require_active_custodian()
    if len(entries) == 0:
        raw_revert(method_id("EmptyBatch()"))
    self._log_entries(firstSequence, entries)


@external
def publish(anchors: DynArray[RecordAnchor, MAX_ANCHORS], firstSequence: uint64, entries: DynArray[AccessEntry, MAX_ENTRIES]):
    """
    @notice One round of the gateway's outbox in one transaction: first all
            anchors, then all log entries (numbered from `firstSequence`),
            atomically.
    @dev Anchors go first so that entries of the same round can refer to
         records anchored in it. Either list may be empty, not both
         (EmptyBatch); without entries `firstSequence` is not read. Same rules
         as anchorRecord and logAccess.
    """
    self._require_active_custodian()
    if len(anchors) == 0 and len(entries) == 0:
        raw_revert(method_id("EmptyBatch()"))
    for i: uint256 in range(len(anchors), bound=MAX_ANCHORS):
        self._anchor(anchors[i].recordId, anchors[i].patient, anchors[i].contentHash, anchors[i].encryptedAddress)
    if len(entries) > 0:
        self._log_entries(firstSequence, entries)


@external
@view
def logHead(custodian: address) -> (uint64, uint256):
    """
    @notice The last sequence number `custodian` logged (0 if none) and the
            block it was logged in (0 if none).
    """
    head: uint256 = self._logHead[custodian]
    return convert(head % 2**64, uint64), head >> 64
