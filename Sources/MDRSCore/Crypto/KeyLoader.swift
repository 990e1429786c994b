import EthereumCore
import Foundation
import PKCS11

/// Opens the gateway's keys where the configuration says they are: a file (the default, for
/// development), or a key in a PKCS#11 token named by a `pkcs11:` URI
/// (`pkcs11:token=<label>;object=<label>`) with the module and the PIN configured apart.
public struct KeyLoader: Sendable {
    /// How to reach a token: its module, and where its PIN comes from.
    public struct PKCS11Settings: Sendable, Equatable {
        /// The module's shared library (for SoftHSM2 on Debian: /usr/lib/softhsm/libsofthsm2.so).
        public var modulePath: String
        /// A file (owner-only) holding the user PIN; nil: the environment variable
        /// ``pinEnvironmentVariable``. Never a setting, so never on a command line.
        public var pinFile: String?

        /// The environment variable read for the PIN when no PIN file is configured.
        public static let pinEnvironmentVariable = "MDRS_PKCS11_PIN"

        public init(modulePath: String, pinFile: String? = nil) {
            self.modulePath = modulePath
            self.pinFile = pinFile
        }

        func pin(environment: [String: String]) throws -> String {
            if let pinFile { return try SecretFile.readText(pinFile) }
            // Out of the process's environment once read (it shows in /proc/<pid>/environ).
            defer { unsetenv(Self.pinEnvironmentVariable) }
            guard let pin = environment[Self.pinEnvironmentVariable], !pin.isEmpty else {
                throw GatewayError(
                    .keyStoreFailure,
                    "no PIN for the PKCS#11 token: set pkcs11.pin_file to an owner-only file, or \(Self.pinEnvironmentVariable)")
            }
            return pin
        }
    }

    public var pkcs11: PKCS11Settings?
    var environment: [String: String]

    public init(pkcs11: PKCS11Settings?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.pkcs11 = pkcs11
        self.environment = environment
    }

    /// The master key at `reference`: a key file, or an AES-256 key in a token.
    public func masterKey(_ reference: String) throws -> MasterKey {
        guard PKCS11URI.isURI(reference) else { return try MasterKey(contentsOfFile: reference) }
        let uri = try parse(reference)
        let key = try MasterKey(token: try hardware { try PKCS11SecretKey(token: try token(uri), label: uri.object) })
        try key.checkRoundTrip()
        return key
    }

    /// The secp256k1 signing key at `reference`: a key file (64 hex digits), or a key pair in a
    /// token.
    public func signingKey(_ reference: String) throws -> any DigestSigner {
        guard PKCS11URI.isURI(reference) else {
            do {
                return try PrivateKey(hex: try SecretFile.readText(reference))
            } catch let error as GatewayError {
                throw error
            } catch {
                throw GatewayError(.invalidConfiguration, "\(reference) holds no valid secp256k1 key")
            }
        }
        let uri = try parse(reference)
        return try hardware {
            let key = try PKCS11SigningKey(token: try token(uri), label: uri.object)
            try key.checkPair()
            return key
        }
    }

    /// Creates an AES-256 master key in the token `reference` names.
    public func newMasterKey(_ reference: String) throws -> MasterKey {
        let uri = try parse(reference)
        let key = try MasterKey(token: try hardware { try PKCS11SecretKey.generate(in: try token(uri), label: uri.object) })
        try key.checkRoundTrip()
        return key
    }

    /// Creates a secp256k1 key pair in the token `reference` names.
    public func newSigningKey(_ reference: String) throws -> PKCS11SigningKey {
        let uri = try parse(reference)
        return try hardware { try PKCS11SigningKey.generate(in: try token(uri), label: uri.object) }
    }

    private func parse(_ reference: String) throws -> PKCS11URI {
        try hardware { try PKCS11URI(reference) }
    }

    private func token(_ uri: PKCS11URI) throws -> PKCS11Token {
        guard let pkcs11 else {
            throw GatewayError(
                .invalidConfiguration, "\(uri) names a key in a PKCS#11 token, but no module is configured (pkcs11.module)")
        }
        return try PKCS11Token.open(modulePath: pkcs11.modulePath, label: uri.token, pin: try pkcs11.pin(environment: environment))
    }

    private func hardware<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as PKCS11Error {
            throw GatewayError(.keyStoreFailure, error.description)
        }
    }
}

extension KeyLoader.PKCS11Settings {
    /// `pkcs11.module` and `pkcs11.pin_file`; nil when no module is set.
    public init?(settings: Settings) {
        guard let module = settings.string("pkcs11.module") else { return nil }
        self.init(modulePath: module, pinFile: settings.string("pkcs11.pin_file"))
    }
}
