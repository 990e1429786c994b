import CPKCS11
import Synchronization

/// A logged-in session on one token of a PKCS#11 module: where the keys are found and used.
///
/// PKCS#11 lets a session run one operation at a time, so every operation here holds the
/// session for its few calls (init, then encrypt, decrypt or sign); SoftHSM2 does one in tens of
/// microseconds. The session is opened once, and one session logs the whole process in.
public final class PKCS11Token: @unchecked Sendable {
    public let module: PKCS11Module
    /// The token's label.
    public let label: String
    private let session: Mutex<CK_SESSION_HANDLE>

    private static let opened = Mutex<[String: PKCS11Token]>([:])

    private init(module: PKCS11Module, label: String, session: CK_SESSION_HANDLE) {
        self.module = module
        self.label = label
        self.session = Mutex(session)
    }

    /// The token labelled `label` in the module at `modulePath`, logged in as its user with
    /// `pin`. Opened once per process: the master key and the signing key share it.
    public static func open(modulePath: String, label: String, pin: String) throws -> PKCS11Token {
        let module = try PKCS11Module.load(path: modulePath)
        return try opened.withLock { tokens in
            let name = "\(modulePath)\u{0}\(label)"
            if let token = tokens[name] { return token }
            let slots = try module.slots(withTokenLabel: label)
            guard let slot = slots.first else {
                throw PKCS11Error(.tokenNotFound, "no token labelled '\(label)' is present in \(modulePath)")
            }
            guard slots.count == 1 else {
                throw PKCS11Error(.tokenNotFound, "\(slots.count) tokens are labelled '\(label)' in \(modulePath); labels must be unique")
            }
            guard !pin.isEmpty else { throw PKCS11Error(.pinMissing, "no PIN for token '\(label)'") }
            let f = module.functions.pointee
            var session: CK_SESSION_HANDLE = 0
            try module.check(
                f.C_OpenSession!(slot, CK_FLAGS(CKF_SERIAL_SESSION | CKF_RW_SESSION), nil, nil, &session),
                "opening a session on token '\(label)'")
            var pinBytes = Array(pin.utf8)
            let loggedIn = f.C_Login!(session, CK_USER_TYPE(CKU_USER), &pinBytes, CK_ULONG(pinBytes.count))
            pinBytes.withUnsafeMutableBufferPointer { buffer in
                for index in buffer.indices { buffer[index] = 0 }
            }
            switch loggedIn {
            case CKR_OK, CKR_USER_ALREADY_LOGGED_IN: break
            case CKR_PIN_INCORRECT, CKR_PIN_LEN_RANGE, CKR_PIN_INVALID:
                _ = f.C_CloseSession!(session)
                throw PKCS11Error(.incorrectPIN, "token '\(label)' refused the PIN", returnValue: loggedIn)
            case CKR_PIN_LOCKED:
                _ = f.C_CloseSession!(session)
                throw PKCS11Error(.incorrectPIN, "token '\(label)' has locked its user PIN (too many wrong PINs)", returnValue: loggedIn)
            default:
                _ = f.C_CloseSession!(session)
                throw PKCS11Error(.operationFailed, "logging in to token '\(label)' failed", returnValue: loggedIn)
            }
            let token = PKCS11Token(module: module, label: label, session: session)
            tokens[name] = token
            return token
        }
    }

    /// Runs `body` with the session and the module's functions, holding the session.
    func withSession<Result>(_ body: (CK_SESSION_HANDLE, CK_FUNCTION_LIST) throws -> Result) throws -> Result {
        let functions = module.functions.pointee
        return try session.withLock { handle in try body(handle, functions) }
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
                if count == 0 { break }
                found += batch.prefix(Int(count))
            }
            return found
        }
    }

    /// The one object of `objectClass` labelled `label`.
    func object(_ objectClass: CK_OBJECT_CLASS, label: String, kind: String) throws -> CK_OBJECT_HANDLE {
        let handles = try find(objectClass, label: label)
        guard let handle = handles.first else {
            throw PKCS11Error(.keyNotFound, "token '\(self.label)' holds no \(kind) labelled '\(label)'")
        }
        guard handles.count == 1 else {
            throw PKCS11Error(.keyNotFound, "token '\(self.label)' holds \(handles.count) \(kind)s labelled '\(label)'; labels must be unique")
        }
        return handle
    }

    /// The value of one attribute of `object`.
    func attribute(_ type: CK_ATTRIBUTE_TYPE, of object: CK_OBJECT_HANDLE, _ what: String) throws -> [UInt8] {
        try withSession { session, f in
            var attribute = CK_ATTRIBUTE(type: type, pValue: nil, ulValueLen: 0)
            try check(f.C_GetAttributeValue!(session, object, &attribute, 1), "reading \(what)")
            var value = [UInt8](repeating: 0, count: Int(attribute.ulValueLen))
            try value.withUnsafeMutableBytes { buffer in
                attribute.pValue = buffer.baseAddress
                try check(f.C_GetAttributeValue!(session, object, &attribute, 1), "reading \(what)")
            }
            return Array(value.prefix(Int(attribute.ulValueLen)))
        }
    }

    /// Runs one single-part operation: `initialize` with the mechanism, then `run` writing at
    /// most `outputCapacity` bytes.
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
            try check(run(f)!(session, &input, CK_ULONG(input.count), &output, &length), what)
            return Array(output.prefix(Int(length)))
        }
    }
}
