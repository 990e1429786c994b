import Foundation
import MDRSCore

/// Debian's SoftHSM2 with its tokens in a temporary directory, for the tests of this process.
///
/// SoftHSM reads its configuration (`SOFTHSM2_CONF`) and finds its tokens once, when the module
/// is first initialised, and a process initialises a module once: so every token the tests use
/// is created here, before any test loads the module, and the tests share them (each test's keys
/// carry labels of their own).
enum SoftHSM {
    static let modulePath = "/usr/lib/softhsm/libsofthsm2.so"
    /// The token the tests create keys in.
    static let token = "mdrs-test"
    /// A token only ever opened with a wrong PIN (a token once logged in stays so for the process).
    static let guardedToken = "mdrs-guarded"
    static let pin = "271828"

    struct Store: Sendable {
        let directory: URL
        /// An owner-only file holding ``pin``.
        let pinFile: String
        /// A file holding a wrong PIN.
        let wrongPinFile: String

        /// The key loader a gateway configured with `pkcs11.module` and `pkcs11.pin_file` uses.
        var loader: KeyLoader { KeyLoader(pkcs11: settings) }
        var settings: KeyLoader.PKCS11Settings { .init(modulePath: SoftHSM.modulePath, pinFile: pinFile) }
    }

    /// The prepared store (made once per process).
    static func store() throws -> Store { try prepared.get() }

    private static let prepared: Result<Store, PreparationError> = {
        do { return .success(try prepare()) } catch let error as PreparationError { return .failure(error) } catch {
            return .failure(PreparationError(message: "\(error)"))
        }
    }()

    struct PreparationError: Error, CustomStringConvertible {
        let message: String
        var description: String { "SoftHSM2 could not be prepared: \(message)" }
    }

    private static func prepare() throws -> Store {
        guard FileManager.default.fileExists(atPath: modulePath) else {
            throw PreparationError(message: "\(modulePath) is missing (Debian's softhsm2; deploy/dev test installs it)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mdrs-softhsm-\(UUID().uuidString)")
        let tokens = directory.appendingPathComponent("tokens")
        try FileManager.default.createDirectory(at: tokens, withIntermediateDirectories: true)
        let configuration = directory.appendingPathComponent("softhsm2.conf")
        try """
            directories.tokendir = \(tokens.path)
            objectstore.backend = file
            log.level = ERROR
            slots.removable = false

            """.write(to: configuration, atomically: true, encoding: .utf8)
        setenv("SOFTHSM2_CONF", configuration.path, 1)
        for label in [token, guardedToken] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/softhsm2-util")
            process.arguments = ["--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", "so-\(pin)"]
            process.environment = ["SOFTHSM2_CONF": configuration.path]
            process.standardOutput = FileHandle.nullDevice
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                throw PreparationError(message: "softhsm2-util --init-token \(label) failed: \(text)")
            }
        }
        let pinFile = directory.appendingPathComponent("pin").path
        let wrongPinFile = directory.appendingPathComponent("wrong-pin").path
        try SecretFile.create(pinFile, contents: Array("\(pin)\n".utf8))
        try SecretFile.create(wrongPinFile, contents: Array("000000\n".utf8))
        return Store(directory: directory, pinFile: pinFile, wrongPinFile: wrongPinFile)
    }

    /// A fresh `pkcs11:` URI for a key of the test token.
    static func uri(_ purpose: String, token: String = SoftHSM.token) -> String {
        "pkcs11:token=\(token);object=\(purpose)-\(UUID().uuidString.prefix(8))"
    }
}
