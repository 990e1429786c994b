import CPKCS11
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A PKCS#11 module (a vendor's `.so`), loaded and initialised once per process.
///
/// It stays loaded for the life of the process: `C_Finalize` would end every other user's
/// sessions, and a gateway uses its keys until it exits.
public final class PKCS11Module: @unchecked Sendable {
    /// The file the module was loaded from.
    public let path: String
    let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>

    private static let loaded = Mutex<[String: PKCS11Module]>([:])

    private init(path: String, functions: UnsafeMutablePointer<CK_FUNCTION_LIST>) {
        self.path = path
        self.functions = functions
    }

    /// The module at `path`, loaded and initialised (with the operating system's locking, so
    /// that sessions may be used from any thread) the first time it is asked for.
    public static func load(path: String) throws -> PKCS11Module {
        // One module per file, however its path is spelled: two copies would share the login.
        let path = realpath(path, nil).map { resolved in
            defer { free(resolved) }
            return String(cString: resolved)
        } ?? path
        return try loaded.withLock { modules in
            if let module = modules[path] { return module }
            guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
                let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
                throw PKCS11Error(.moduleNotLoaded, "cannot load the PKCS#11 module \(path): \(reason)")
            }
            guard let symbol = dlsym(handle, "C_GetFunctionList") else {
                dlclose(handle)
                throw PKCS11Error(.moduleNotLoaded, "\(path) is not a PKCS#11 module (it has no C_GetFunctionList)")
            }
            let getFunctionList = unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<CK_FUNCTION_LIST>?>?) -> CK_RV).self)
            var list: UnsafeMutablePointer<CK_FUNCTION_LIST>?
            let listed = getFunctionList(&list)
            guard listed == CKR_OK, let list, let initialize = list.pointee.C_Initialize else {
                dlclose(handle)
                throw PKCS11Error(.moduleNotLoaded, "\(path) gave no PKCS#11 function list", returnValue: listed)
            }
            var arguments = CK_C_INITIALIZE_ARGS()
            arguments.flags = CKF_OS_LOCKING_OK
            let initialized = initialize(&arguments)
            guard initialized == CKR_OK || initialized == CKR_CRYPTOKI_ALREADY_INITIALIZED else {
                dlclose(handle)
                throw PKCS11Error(.moduleNotLoaded, "the PKCS#11 module \(path) did not initialise", returnValue: initialized)
            }
            let module = PKCS11Module(path: path, functions: list)
            modules[path] = module
            return module
        }
    }

    /// The slots whose token has `label` (blank-padded to 32 bytes in the token's info), with
    /// the token's flags. A slot whose token cannot be read is skipped.
    func slots(withTokenLabel label: String) throws -> [(slot: CK_SLOT_ID, flags: CK_FLAGS)] {
        let f = functions.pointee
        var count: CK_ULONG = 0
        try check(f.C_GetSlotList!(CK_BBOOL(CK_TRUE), nil, &count), "listing the module's slots")
        guard count <= 4096 else { throw PKCS11Error(.operationFailed, "\(path) reported \(count) slots") }
        var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
        try check(f.C_GetSlotList!(CK_BBOOL(CK_TRUE), &slots, &count), "listing the module's slots")
        return slots.prefix(min(Int(count), slots.count)).compactMap { slot in
            var info = CK_TOKEN_INFO()
            guard f.C_GetTokenInfo!(slot, &info) == CKR_OK else { return nil }
            let padded = withUnsafeBytes(of: info.label) { Array($0) }
            let name = String(decoding: padded, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
            return name == label ? (slot, info.flags) : nil
        }
    }

    func check(_ value: CK_RV, _ what: String, code: PKCS11Error.Code = .operationFailed) throws {
        guard value == CKR_OK else { throw PKCS11Error(code, "\(what) failed in \(path)", returnValue: value) }
    }
}
