import EthereumCore

/// The interface of `deploy/contract/MedicalAccess.vy`, declared by signature. A test checks it
/// against the compiled artifact, so the two cannot drift apart.
public enum MedicalAccessABI {
    static let grantTuple = "(address,address,bytes32,address,uint64,address,uint64,bool,uint256,uint256)"
    static let entryTuple = "(bytes32,bytes32,bytes32,address,uint8,uint8,uint64,bytes32)"
    static let anchorTuple = "(bytes32,address,bytes32,bytes)"
    static let emergencyTuple = "(address,address,bytes32,address,address,uint64,uint8,bytes32,uint256,uint64,uint8,address,bytes32)"

    static func function(_ signature: String, returns outputs: [String] = [], view: Bool = false) -> ABIFunction {
        // The signatures below are literals checked by tests; a typo is a programming error.
        guard let parsed = try? ABIFunction(signature: signature),
            let outputTypes = try? outputs.map(ABIType.init)
        else { preconditionFailure("invalid built-in signature \(signature)") }
        return ABIFunction(
            name: parsed.name, inputs: parsed.inputs, outputs: outputTypes.map { ABIParameter(type: $0) },
            stateMutability: view ? "view" : "nonpayable")
    }

    public static let registerCustodian = function("registerCustodian(address,string)")
    public static let deregisterCustodian = function("deregisterCustodian(address)")
    public static let getCustodian = function("getCustodian(address)", returns: ["(string,bool,uint256,string,bytes32)"], view: true)
    public static let setGateway = function("setGateway(string)")
    public static let setDirectory = function("setDirectory(bytes32)")
    public static let registerStaff = function("registerStaff(address)")
    public static let deregisterStaff = function("deregisterStaff(address)")
    public static let staffCustodian = function("staffCustodian(address)", returns: ["address"], view: true)
    public static let getStaff = function("getStaff(address)", returns: ["(address,uint64,uint256)"], view: true)
    public static let anchorRecord = function("anchorRecord(bytes32,address,bytes32,bytes)")
    public static let getRecord = function("getRecord(bytes32)", returns: ["(address,address,bytes32,bytes,uint256)"], view: true)
    public static let requestAccess = function("requestAccess(bytes32,uint8)")
    public static let grant = function("grant(address,bytes32,uint64)", returns: ["bytes32"])
    public static let revoke = function("revoke(bytes32)")
    public static let getGrant = function("getGrant(bytes32)", returns: [grantTuple], view: true)
    public static let checkGrant = function("checkGrant(bytes32,address)", returns: [grantTuple], view: true)
    public static let logAccess = function("logAccess(uint64,\(entryTuple)[])")
    public static let publish = function("publish(\(anchorTuple)[],uint64,\(entryTuple)[])")
    public static let logHead = function("logHead(address)", returns: ["uint64", "uint256"], view: true)
    public static let admin = function("admin()", returns: ["address"], view: true)
    public static let setEmergencyStaff = function("setEmergencyStaff(address,bool)")
    public static let mayDeclareEmergency = function("mayDeclareEmergency(address)", returns: ["bool"], view: true)
    public static let setEmergencyRules = function("setEmergencyRules(uint64,uint64)")
    public static let emergencyRules = function("emergencyRules(address)", returns: ["(uint64,uint64)"], view: true)
    public static let setEmergencyPolicy = function("setEmergencyPolicy(uint8)")
    public static let emergencyPolicy = function("emergencyPolicy(address)", returns: ["uint8"], view: true)
    public static let declareEmergency = function("declareEmergency(bytes32,uint8,bytes32)", returns: ["bytes32"])
    public static let getEmergency = function("getEmergency(bytes32)", returns: [emergencyTuple], view: true)
    public static let reviewEmergency = function("reviewEmergency(bytes32,address,uint8,bytes32)")

    public static let functions: [ABIFunction] = [
        registerCustodian, deregisterCustodian, getCustodian, setGateway, setDirectory, registerStaff, deregisterStaff, staffCustodian, getStaff,
        anchorRecord, getRecord, requestAccess, grant, revoke, getGrant, checkGrant, logAccess, publish,
        logHead, admin, setEmergencyStaff, mayDeclareEmergency, setEmergencyRules, emergencyRules, setEmergencyPolicy, emergencyPolicy,
        declareEmergency, getEmergency, reviewEmergency,
    ]

    static func event(_ name: String, _ inputs: [(String, String, Bool)]) -> ABIEvent {
        ABIEvent(
            name: name,
            inputs: inputs.map { input in
                guard let type = try? ABIType(input.1) else { preconditionFailure("invalid built-in type \(input.1)") }
                return ABIParameter(name: input.0, type: type, indexed: input.2)
            })
    }

    public static let custodianRegistered = event("CustodianRegistered", [("custodian", "address", true), ("name", "string", false)])
    public static let custodianDeregistered = event("CustodianDeregistered", [("custodian", "address", true)])
    public static let custodianGatewayChanged = event(
        "CustodianGatewayChanged", [("custodian", "address", true), ("gateway", "string", false)])
    public static let custodianDirectoryChanged = event(
        "CustodianDirectoryChanged", [("custodian", "address", true), ("digest", "bytes32", false)])
    public static let staffRegistered = event(
        "StaffRegistered", [("staff", "address", true), ("custodian", "address", true), ("epoch", "uint64", false)])
    public static let staffDeregistered = event("StaffDeregistered", [("staff", "address", true), ("custodian", "address", true)])
    public static let recordAnchored = event(
        "RecordAnchored",
        [("recordId", "bytes32", true), ("patient", "address", true), ("custodian", "address", true),
         ("contentHash", "bytes32", false), ("encryptedAddress", "bytes", false)])
    public static let accessRequested = event(
        "AccessRequested",
        [("recordId", "bytes32", true), ("staff", "address", true), ("patient", "address", true), ("purpose", "uint8", false)])
    public static let granted = event(
        "Granted",
        [("token", "bytes32", true), ("staff", "address", true), ("patient", "address", true),
         ("recordId", "bytes32", false), ("expiresAt", "uint64", false), ("staffCustodian", "address", false),
         ("staffEpoch", "uint64", false)])
    public static let revoked = event(
        "Revoked",
        [("token", "bytes32", true), ("staff", "address", true), ("patient", "address", true), ("recordId", "bytes32", false)])
    public static let accessed = event(
        "Accessed",
        [("recordId", "bytes32", true), ("staff", "address", true), ("patient", "address", true),
         ("custodian", "address", false), ("sequence", "uint64", false), ("token", "bytes32", false), ("requestId", "bytes32", false),
         ("purpose", "uint8", false), ("outcome", "uint8", false), ("accessedAt", "uint64", false),
         ("commitment", "bytes32", false)])

    public static let emergencyStaffChanged = event(
        "EmergencyStaffChanged", [("staff", "address", true), ("custodian", "address", true), ("allowed", "bool", false)])
    public static let emergencyRulesChanged = event(
        "EmergencyRulesChanged", [("custodian", "address", true), ("window", "uint64", false), ("dailyLimit", "uint64", false)])
    public static let emergencyPolicyChanged = event("EmergencyPolicyChanged", [("patient", "address", true), ("policy", "uint8", false)])
    public static let emergencyDeclared = event(
        "EmergencyDeclared",
        [("emergency", "bytes32", true), ("staff", "address", true), ("patient", "address", true), ("recordId", "bytes32", false),
         ("custodian", "address", false), ("reason", "uint8", false), ("justification", "bytes32", false), ("expiresAt", "uint64", false)])
    public static let emergencyRefused = event(
        "EmergencyRefused", [("staff", "address", true), ("patient", "address", true), ("recordId", "bytes32", true), ("why", "uint8", false)])
    public static let emergencyReviewed = event(
        "EmergencyReviewed",
        [("emergency", "bytes32", true), ("custodian", "address", true), ("reviewer", "address", true), ("verdict", "uint8", false),
         ("note", "bytes32", false)])

    public static let events: [ABIEvent] = [
        custodianRegistered, custodianDeregistered, custodianGatewayChanged, custodianDirectoryChanged, staffRegistered, staffDeregistered, recordAnchored,
        accessRequested, granted, revoked, accessed, emergencyStaffChanged, emergencyRulesChanged, emergencyPolicyChanged, emergencyDeclared,
        emergencyRefused, emergencyReviewed,
    ]

    public static let errors: [ABICustomError] = [
        "NotAdmin(address)", "NotCustodian(address)", "CustodianAlreadyRegistered(address)",
        "StaffAlreadyRegistered(address)", "StaffNotRegistered(address)", "NotStaffCustodian(address,address)",
        "ZeroAddress()", "ZeroRecordId()", "RecordAlreadyAnchored(bytes32)", "RecordNotFound(bytes32)",
        "NotRecordPatient(address,bytes32)", "InvalidExpiry(uint64)", "UnknownGrant(bytes32)",
        "NotGrantPatient(address,bytes32)", "GrantAlreadyRevoked(bytes32)", "GrantRevoked(bytes32)",
        "GrantExpired(bytes32,uint64)", "NotGrantee(bytes32,address)", "EmptyBatch()", "OutOfSequence(uint64,uint64)",
        "RegistrationChanged(bytes32,address)", "ForeignDenial(bytes32)", "NotEmergencyStaff(address)",
        "InvalidEmergency(uint8,bytes32)", "InvalidEmergencyRules(uint64,uint64)", "InvalidEmergencyPolicy(uint8)", "UnknownEmergency(bytes32)",
        "NotEmergencyCustodian(address,bytes32)", "EmergencyAlreadyReviewed(bytes32)", "InvalidVerdict(uint8)",
    ].map { signature in
        guard let error = try? ABICustomError(signature: signature) else { preconditionFailure("invalid built-in error \(signature)") }
        return error
    }

    /// Decodes revert data against the contract's errors.
    public static func revertReason(_ data: [UInt8]) -> RevertReason {
        RevertReason(data: data, errors: errors)
    }
}
