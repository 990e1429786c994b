import BigInt
import EthereumCore
import EthereumRPC
import MDRSCore
import MDRSProtocol

/// Typed access to a deployed MedicalAccess contract: views as async reads, and call data for
/// the transactions that change it.
public struct MedicalAccessContract: Sendable {
    public let address: Address
    public let client: EthereumClient

    public init(address: Address, client: EthereumClient) {
        self.address = address
        self.client = client
    }

    /// Calls a view. A revert becomes ``ChainError/Code/reverted`` with the custom error
    /// decoded; an unreachable node ``ChainError/Code/unavailable``.
    public func call(_ function: ABIFunction, _ arguments: [ABIValue], at block: BlockTag = .latest) async throws -> [ABIValue] {
        let data = try function.encodeCall(arguments)
        let output: [UInt8]
        do {
            output = try await client.call(CallRequest(to: address, data: data), at: block)
        } catch let error as JSONRPCError {
            throw Self.chainError(error, calling: function.name)
        }
        do {
            return try function.decodeOutput(output)
        } catch {
            throw ChainError(
                .invalidResponse,
                output.isEmpty
                    ? "\(function.name) returned nothing: is a MedicalAccess contract deployed at \(address)?"
                    : "\(function.name) returned undecodable data: \(error)")
        }
    }

    package static func chainError(_ error: JSONRPCError, calling name: String) -> ChainError {
        if let revertData = error.revertData {
            let reason = MedicalAccessABI.revertReason(revertData)
            return ChainError(.reverted, "\(name) reverted", revert: reason)
        }
        if error.isUnavailable {
            return ChainError(.unavailable, "the chain node is unreachable: \(error.message)")
        }
        return ChainError(.invalidResponse, "\(name) failed: \(error)")
    }

    /// The grant with `token`; nil if there is none.
    public func grant(_ token: Bytes32, at block: BlockTag = .latest) async throws -> GrantState? {
        do {
            let values = try await call(MedicalAccessABI.getGrant, [.bytes32(token)], at: block)
            return try GrantState(token: token, tuple: values[0])
        } catch let error as ChainError where error.contractError == .unknownGrant {
            return nil
        }
    }

    /// The declared emergency `id`; nil if there is none.
    public func emergency(_ id: Bytes32, at block: BlockTag = .latest) async throws -> EmergencyState? {
        do {
            let values = try await call(MedicalAccessABI.getEmergency, [.bytes32(id)], at: block)
            return try EmergencyState(id: id, tuple: values[0])
        } catch let error as ChainError where error.contractError == .unknownEmergency {
            return nil
        }
    }

    /// `patient`'s stance on emergency access to their records (an unknown value reads as a
    /// refusal: the gateway errs on the patient's side).
    public func emergencyPolicy(of patient: Address, at block: BlockTag = .latest) async throws -> EmergencyPolicy {
        let value = try await call(MedicalAccessABI.emergencyPolicy, [.address(patient)], at: block)[0].asUInt64()
        return UInt8(exactly: value).flatMap(EmergencyPolicy.init(rawValue:)) ?? .refuse
    }

    /// Whether `staff` may declare an emergency now.
    public func mayDeclareEmergency(_ staff: Address, at block: BlockTag = .latest) async throws -> Bool {
        try await call(MedicalAccessABI.mayDeclareEmergency, [.address(staff)], at: block)[0].asBool()
    }

    /// `custodian`'s break-glass rules, the contract's defaults filled in: the window in seconds
    /// and the daily bound per member of staff.
    public func emergencyRules(of custodian: Address, at block: BlockTag = .latest) async throws -> (window: UInt64, dailyLimit: UInt64) {
        let fields = try await call(MedicalAccessABI.emergencyRules, [.address(custodian)], at: block)[0].asArray()
        return (try fields[0].asUInt64(), try fields[1].asUInt64())
    }

    /// The anchored record `recordId`; nil if it was never anchored.
    public func record(_ recordId: Bytes32, at block: BlockTag = .latest) async throws -> AnchoredRecord? {
        do {
            let values = try await call(MedicalAccessABI.getRecord, [.bytes32(recordId)], at: block)
            return try AnchoredRecord(recordId: recordId, tuple: values[0])
        } catch let error as ChainError where error.contractError == .recordNotFound {
            return nil
        }
    }

    /// The custodian that registered `staff`; nil if `staff` is not registered.
    public func staffCustodian(_ staff: Address, at block: BlockTag = .latest) async throws -> Address? {
        let custodian = try await call(MedicalAccessABI.staffCustodian, [.address(staff)], at: block)[0].asAddress()
        return custodian == .zero ? nil : custodian
    }

    /// The registration of `staff` (custodian zero if not registered now).
    public func staff(_ staff: Address, at block: BlockTag = .latest) async throws -> StaffRegistration {
        let fields = try await call(MedicalAccessABI.getStaff, [.address(staff)], at: block)[0].asArray()
        return StaffRegistration(custodian: try fields[0].asAddress(), epoch: try fields[1].asUInt64(), registeredAt: try fields[2].asUInt64())
    }

    /// The custodian registered under `address`.
    public func custodian(_ address: Address, at block: BlockTag = .latest) async throws -> CustodianState {
        let fields = try await call(MedicalAccessABI.getCustodian, [.address(address)], at: block)[0].asArray()
        return CustodianState(
            name: try fields[0].asString(), active: try fields[1].asBool(), registeredAt: try fields[2].asUInt64(),
            gateway: try fields[3].asString(), directory: try fields[4].asBytes32())
    }

    /// Where `custodian`'s numbered access log stands: its last sequence number (0 before the
    /// first entry) and the block that entry was logged in (0 if none).
    public func logHead(of custodian: Address, at block: BlockTag = .latest) async throws -> LogHead {
        let values = try await call(MedicalAccessABI.logHead, [.address(custodian)], at: block)
        return LogHead(sequence: try values[0].asUInt64(), blockNumber: try values[1].asUInt64())
    }

    // MARK: Call data for transactions

    public static func registerCustodian(_ custodian: Address, name: String) throws -> [UInt8] {
        try MedicalAccessABI.registerCustodian.encodeCall([.address(custodian), .string(name)])
    }

    /// A custodian publishes its gateway's base URL (empty withdraws it).
    public static func setGateway(_ url: String) throws -> [UInt8] {
        try MedicalAccessABI.setGateway.encodeCall([.string(url)])
    }

    /// A custodian publishes the SHA-256 of the staff directory its gateway serves.
    public static func setDirectory(_ sha256: Bytes32) throws -> [UInt8] {
        try MedicalAccessABI.setDirectory.encodeCall([.bytes32(sha256)])
    }

    public static func deregisterCustodian(_ custodian: Address) throws -> [UInt8] {
        try MedicalAccessABI.deregisterCustodian.encodeCall([.address(custodian)])
    }

    public static func registerStaff(_ staff: Address) throws -> [UInt8] {
        try MedicalAccessABI.registerStaff.encodeCall([.address(staff)])
    }

    public static func deregisterStaff(_ staff: Address) throws -> [UInt8] {
        try MedicalAccessABI.deregisterStaff.encodeCall([.address(staff)])
    }

    public static func anchorRecord(_ anchor: RecordAnchorInput) throws -> [UInt8] {
        try MedicalAccessABI.anchorRecord.encodeCall([
            .bytes32(anchor.recordId), .address(anchor.patient), .bytes32(anchor.contentHash), .bytes(anchor.encryptedAddress),
        ])
    }

    public static func requestAccess(_ recordId: Bytes32, purpose: PurposeOfUse) throws -> [UInt8] {
        try MedicalAccessABI.requestAccess.encodeCall([.bytes32(recordId), .uint64(UInt64(purpose.rawValue))])
    }

    public static func grant(staff: Address, recordId: Bytes32, expiresAt: UInt64) throws -> [UInt8] {
        try MedicalAccessABI.grant.encodeCall([.address(staff), .bytes32(recordId), .uint64(expiresAt)])
    }

    public static func revoke(_ token: Bytes32) throws -> [UInt8] {
        try MedicalAccessABI.revoke.encodeCall([.bytes32(token)])
    }

    /// A batch of access entries numbered from `firstSequence`: the custodian's last logged
    /// number + 1 (``logHead(of:at:)``), else the contract refuses it (`OutOfSequence`).
    public static func logAccess(firstSequence: UInt64, _ entries: [AccessEntry]) throws -> [UInt8] {
        try MedicalAccessABI.logAccess.encodeCall([.uint64(firstSequence), .array(entries.map(\.abiValue))])
    }

    /// Anchors, then entries numbered from `firstSequence` (not read when there are none).
    public static func publish(anchors: [RecordAnchorInput], firstSequence: UInt64, entries: [AccessEntry]) throws -> [UInt8] {
        try MedicalAccessABI.publish.encodeCall([.array(anchors.map(\.abiValue)), .uint64(firstSequence), .array(entries.map(\.abiValue))])
    }

    // MARK: Break-glass

    /// The custodian that registered `staff` lets it declare emergencies (or no longer).
    public static func setEmergencyStaff(_ staff: Address, allowed: Bool) throws -> [UInt8] {
        try MedicalAccessABI.setEmergencyStaff.encodeCall([.address(staff), .bool(allowed)])
    }

    /// A custodian's window for emergencies on its records, and its staff's daily bound.
    public static func setEmergencyRules(window: UInt64, dailyLimit: UInt64) throws -> [UInt8] {
        try MedicalAccessABI.setEmergencyRules.encodeCall([.uint64(window), .uint64(dailyLimit)])
    }

    /// A patient's stance: any allowed staff, only the holding hospital's, or nobody.
    public static func setEmergencyPolicy(_ policy: EmergencyPolicy) throws -> [UInt8] {
        try MedicalAccessABI.setEmergencyPolicy.encodeCall([.uint64(UInt64(policy.rawValue))])
    }

    /// A declaration of an emergency for `recordId`; `justification` is the SHA-256 of its text.
    public static func declareEmergency(_ recordId: Bytes32, reason: UInt8, justification: Bytes32) throws -> [UInt8] {
        try MedicalAccessABI.declareEmergency.encodeCall([.bytes32(recordId), .uint64(UInt64(reason)), .bytes32(justification)])
    }

    /// The holding custodian records its auditor's review of an emergency.
    public static func reviewEmergency(_ emergency: Bytes32, reviewer: Address, verdict: UInt8, note: Bytes32) throws -> [UInt8] {
        try MedicalAccessABI.reviewEmergency.encodeCall([.bytes32(emergency), .address(reviewer), .uint64(UInt64(verdict)), .bytes32(note)])
    }

    // MARK: Events

    /// Decodes a log of this contract against its events; nil for logs of other contracts or
    /// unknown events.
    public func decode(_ log: Log) -> DecodedEvent? {
        guard log.address == address, let topic = log.topics.first,
            let event = MedicalAccessABI.events.first(where: { $0.topic == topic })
        else { return nil }
        return try? event.decode(topics: log.topics, data: log.data)
    }
}

extension DecodedEvent {
    /// The grant token of a `Granted` event.
    public var token: Bytes32? { try? self["token"]?.asBytes32() }
}
