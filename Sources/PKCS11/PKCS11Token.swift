import CPKCS11
import EthereumCore
import Synchronization

/// A token of a PKCS#11 module, logged in as its user: where the keys are found and used.
///
/// PKCS#11 lets a session run one operation at a time, so the token keeps a few sessions and
/// each operation holds one for its few calls (init, then encrypt, decrypt or sign). A session
/// the module has lost (the HSM restarted, the token was reinserted, the connection to a network
/// HSM dropped) is opened again, logged in again, and the operation tried once more.
public final class PKCS11Token: @unchecked Sendable {
    public let module: PKCS11Module
    /// The token's label.
    public let label: String
    /// Kept to log in again after the module has lost the login; never printed.
    private let pin: [UInt8]
    /// Keccak-256 of a random salt and the PIN: a later `open` of the same token is checked
    /// against it (the module itself would answer "already logged in" to any PIN).
    private let pinDigest: [UInt8]
    private let salt: [UInt8]
    private let sessions: [Session]
    private let nextSession = Atomic<Int>(0)
    private let handles = Mutex<[String: CK_OBJECT_HANDLE]>([:])

    /// Sessions per token: enough for a few operations at once.
    static let sessionCount = 4

    private static let opened = Mutex<[String: PKCS11Token]>([:])

    private init(module: PKCS11Module, label: String, pin: [UInt8]) {
        self.module = module
        self.label = label
        self.pin = pin
        self.salt = Bytes32.random().bytes
        self.pinDigest = Keccak256.hash(salt + pin)
        self.sessions = (0..<Self.sessionCount).map { _ in Session() }
    }

    /// The token labelled `label` in the module at `modulePath`, logged in as its user with
    /// `pin`. Opened once per process (the master key and the signing key share it); a later
    /// open with another PIN is refused like a wrong PIN.
    public static func open(modulePath: String, label: String, pin: String) throws -> PKCS11Token {
        guard !pin.isEmpty else { throw PKCS11Error(.pinMissing, "no PIN for token '\(label)'") }
        let module = try PKCS11Module.load(path: modulePath)
        let pinBytes = Array(pin.utf8)
        return try opened.withLock { tokens in
            let name = "\(module.path)\u{0}\(label)"
            if let token = tokens[name] {
                guard token.accepts(pinBytes) else { throw PKCS11Error(.incorrectPIN, "token '\(label)' refused the PIN") }
                return token
            }
            let token = PKCS11Token(module: module, label: label, pin: pinBytes)
            try token.sessions[0].handle.withLock { session in session = try token.openSession(firstLogin: true) }
            tokens[name] = token
            return token
        }
    }

    private func accepts(_ candidate: [UInt8]) -> Bool {
        let digest = Keccak256.hash(salt + candidate)
        return zip(digest, pinDigest).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Opens a session on the token (found again by its label: a reinserted token may sit in
    /// another slot) and logs in. The first login proves the PIN: if the process is already
    /// logged in (another copy of the module's path), it logs out and in again.
    private func openSession(firstLogin: Bool = false) throws -> CK_SESSION_HANDLE {
        let f = module.functions.pointee
        let slots = try module.slots(withTokenLabel: label)
        guard let (slot, flags) = slots.first else {
            throw PKCS11Error(.tokenNotFound, "no token labelled '\(label)' is present in \(module.path)")
        }
        guard slots.count == 1 else {
            throw PKCS11Error(.tokenNotFound, "\(slots.count) tokens are labelled '\(label)' in \(module.path); labels must be unique")
        }
        if flags & CK_FLAGS(CKF_USER_PIN_LOCKED) != 0 {
            throw PKCS11Error(.incorrectPIN, "token '\(label)' has locked its user PIN (too many wrong PINs); its security officer must unlock it")
        }
        if flags & CK_FLAGS(CKF_USER_PIN_FINAL_TRY) != 0 {
            throw PKCS11Error(
                .incorrectPIN,
                "token '\(label)' allows one more PIN attempt only; not trying, so that a wrong PIN cannot lock it: check the PIN, then log in once with the HSM's own tools")
        }
        var session: CK_SESSION_HANDLE = 0
        try module.check(
            f.C_OpenSession!(slot, CK_FLAGS(CKF_SERIAL_SESSION | CKF_RW_SESSION), nil, nil, &session),
            "opening a session on token '\(label)'")
        do {
            var loggedIn = logIn(session, f)
            if loggedIn == CKR_USER_ALREADY_LOGGED_IN && firstLogin {
                _ = f.C_Logout!(session)
                loggedIn = logIn(session, f)
            }
            switch loggedIn {
            case CKR_OK, CKR_USER_ALREADY_LOGGED_IN: return session
            case CKR_PIN_INCORRECT, CKR_PIN_LEN_RANGE, CKR_PIN_INVALID:
                throw PKCS11Error(.incorrectPIN, "token '\(label)' refused the PIN", returnValue: loggedIn)
            case CKR_PIN_LOCKED:
                throw PKCS11Error(.incorrectPIN, "token '\(label)' has locked its user PIN (too many wrong PINs)", returnValue: loggedIn)
            default:
                throw PKCS11Error(.operationFailed, "logging in to token '\(label)' failed", returnValue: loggedIn)
            }
        } catch {
            _ = f.C_CloseSession!(session)
            throw error
        }
    }

    private func logIn(_ session: CK_SESSION_HANDLE, _ f: CK_FUNCTION_LIST) -> CK_RV {
        var pin = self.pin
        return f.C_Login!(session, CK_USER_TYPE(CKU_USER), &pin, CK_ULONG(pin.count))
    }

    /// Runs `body` with one of the token's sessions, held for its duration. If the module has
    /// lost the session or the login, the session is opened again and `body` runs once more.
    func withSession<Result>(_ body: (CK_SESSION_HANDLE, CK_FUNCTION_LIST) throws -> Result) throws -> Result {
        let f = module.functions.pointee
        let index = Int(UInt(bitPattern: nextSession.wrappingAdd(1, ordering: .relaxed).oldValue) % UInt(sessions.count))
        return try sessions[index].handle.withLock { session in
            if session == 0 { session = try openSession() }
            do {
                return try body(session, f)
            } catch let error as PKCS11Error where error.meansSessionLost {
                _ = f.C_CloseSession!(session)
                session = 0
                session = try openSession()
                return try body(session, f)
            }
        }
    }

    /// Asks the token whether one of its sessions is still open and logged in (opening it again
    /// if the module lost it): what readiness reports. Cheap: no key is used.
    public func checkSession() throws {
        try withSession { session, f in
            var info = CK_SESSION_INFO()
            try check(f.C_GetSessionInfo!(session, &info), "reading a session's state")
            guard info.state == CK_STATE(CKS_RW_USER_FUNCTIONS) || info.state == CK_STATE(CKS_RO_USER_FUNCTIONS) else {
                throw PKCS11Error(.operationFailed, "the session on token '\(label)' is not logged in", returnValue: CKR_USER_NOT_LOGGED_IN)
            }
        }
    }

    func check(_ value: CK_RV, _ what: String) throws {
        guard value == CKR_OK else {
            throw PKCS11Error(.operationFailed, "\(what) failed on token '\(label)'", returnValue: value)
        }
    }

    /// The objects of `objectClass` labelled `label`.
    func find(_ objectClass: CK_OBJECT_CLASS, label: String) throws -> [CK_OBJECT_HANDLE] {
        var template = PKCS11Template()
        template.append(CKA_CLASS, ulong: objectClass)
        template.append(CKA_LABEL, bytes: Array(label.utf8))
        return try withSession { session, f in
            try template.withAttributes { attributes, count in
                try check(f.C_FindObjectsInit!(session, attributes, count), "looking for '\(label)'")
            }
            defer { _ = f.C_FindObjectsFinal!(session) }
            var found: [CK_OBJECT_HANDLE] = []
            var batch = [CK_OBJECT_HANDLE](repeating: 0, count: 8)
            while true {
                var count: CK_ULONG = 0
                try check(f.C_FindObjects!(session, &batch, CK_ULONG(batch.count), &count), "looking for '\(label)'")
                guard count > 0, count <= CK_ULONG(batch.count) else { break }
                found += batch.prefix(Int(count))
            }
            return found
        }
    }

    /// The one object of `objectClass` labelled `label` (remembered; looked up again if the
    /// module no longer knows the handle).
    func object(_ objectClass: CK_OBJECT_CLASS, label: String, kind: String, again: Bool = false) throws -> CK_OBJECT_HANDLE {
        let name = "\(objectClass)\u{0}\(label)"
        if !again, let handle = handles.withLock({ $0[name] }) { return handle }
        let found = try find(objectClass, label: label)
        guard let handle = found.first else {
            throw PKCS11Error(.keyNotFound, "token '\(self.label)' holds no \(kind) labelled '\(label)'")
        }
        guard found.count == 1 else {
            throw PKCS11Error(.keyNotFound, "token '\(self.label)' holds \(found.count) \(kind)s labelled '\(label)'; labels must be unique")
        }
        handles.withLock { $0[name] = handle }
        return handle
    }

    /// Runs `body` with the handle of the object, looking it up again once if the module says
    /// the handle is no longer valid (a token reinserted).
    func withObject<Result>(
        _ objectClass: CK_OBJECT_CLASS, label: String, kind: String, _ body: (CK_OBJECT_HANDLE) throws -> Result
    ) throws -> Result {
        do {
            return try body(try object(objectClass, label: label, kind: kind))
        } catch let error as PKCS11Error where error.returnValue == CKR_KEY_HANDLE_INVALID || error.returnValue == CKR_OBJECT_HANDLE_INVALID {
            return try body(try object(objectClass, label: label, kind: kind, again: true))
        }
    }

    /// The value of one attribute of `object`.
    func attribute(_ type: CK_ATTRIBUTE_TYPE, of object: CK_OBJECT_HANDLE, _ what: String) throws -> [UInt8] {
        try withSession { session, f in
            var attribute = CK_ATTRIBUTE(type: type, pValue: nil, ulValueLen: 0)
            try check(f.C_GetAttributeValue!(session, object, &attribute, 1), "reading \(what)")
            guard attribute.ulValueLen <= 1 << 16 else {
                throw PKCS11Error(.operationFailed, "the token gave no usable length for \(what)")
            }
            var value = [UInt8](repeating: 0, count: Int(attribute.ulValueLen))
            try value.withUnsafeMutableBytes { buffer in
                attribute.pValue = buffer.baseAddress
                try check(f.C_GetAttributeValue!(session, object, &attribute, 1), "reading \(what)")
            }
            guard attribute.ulValueLen <= CK_ULONG(value.count) else {
                throw PKCS11Error(.operationFailed, "the token gave no usable length for \(what)")
            }
            return Array(value.prefix(Int(attribute.ulValueLen)))
        }
    }

    /// Runs one single-part operation on the object: `initialize` with the mechanism, then
    /// `run`, with room for `outputCapacity` bytes (more if the module asks for more).
    func singlePart(
        _ what: String, mechanism: CK_MECHANISM_TYPE, parameter: UnsafeMutableRawBufferPointer? = nil, key: CK_OBJECT_HANDLE,
        input: [UInt8], outputCapacity: Int,
        initialize: (CK_FUNCTION_LIST) -> CK_C_EncryptInit?,
        run: (CK_FUNCTION_LIST) -> CK_C_Encrypt?
    ) throws -> [UInt8] {
        try withSession { session, f in
            var mechanismValue = CK_MECHANISM(
                mechanism: mechanism, pParameter: parameter?.baseAddress, ulParameterLen: CK_ULONG(parameter?.count ?? 0))
            try check(initialize(f)!(session, &mechanismValue, key), what)
            var input = input
            var output = [UInt8](repeating: 0, count: outputCapacity)
            var length = CK_ULONG(outputCapacity)
            var result = run(f)!(session, &input, CK_ULONG(input.count), &output, &length)
            if result == CKR_BUFFER_TOO_SMALL, length > CK_ULONG(outputCapacity), length <= CK_ULONG(outputCapacity + 4096) {
                // The operation stays active; it ends with the call that has room.
                output = [UInt8](repeating: 0, count: Int(length))
                result = run(f)!(session, &input, CK_ULONG(input.count), &output, &length)
            }
            try check(result, what)
            guard length <= CK_ULONG(output.count) else {
                throw PKCS11Error(.operationFailed, "\(what): the token reported \(length) bytes written into \(output.count)")
            }
            return Array(output.prefix(Int(length)))
        }
    }
}

/// One session's handle (0 until opened, and after it is lost), held by one operation at a time.
private final class Session: Sendable {
    let handle = Mutex<CK_SESSION_HANDLE>(0)
}

extension PKCS11Error {
    /// Whether the module has lost the session or its login: worth opening it again once.
    var meansSessionLost: Bool {
        guard let returnValue else { return false }
        return [CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_USER_NOT_LOGGED_IN, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT]
            .contains(returnValue)
    }
}
