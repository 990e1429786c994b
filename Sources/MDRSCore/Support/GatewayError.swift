/// What went wrong inside the gateway, with a code a caller can switch on and a message a person
/// can act on. HTTP handlers map codes to statuses (see `APIError`).
public struct GatewayError: Error, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        // keys and secrets
        case secretFileUnreadable = "secret_file_unreadable"
        case secretFileTooOpen = "secret_file_too_open"
        case invalidMasterKey = "invalid_master_key"
        case unknownMasterKey = "unknown_master_key"
        /// A hardware security module (PKCS#11) refused or failed an operation with a key.
        case keyStoreFailure = "key_store_failure"
        // records
        case recordNotFound = "record_not_found"
        case recordErased = "record_erased"
        case recordTooLarge = "record_too_large"
        case contentHashMismatch = "content_hash_mismatch"
        case invalidContentType = "invalid_content_type"
        case integrityFailure = "integrity_failure"
        /// The cryptographic library failed (not the data): no record is at fault.
        case cryptoFailure = "crypto_failure"
        case invalidRange = "invalid_range"
        case bodyIncomplete = "body_incomplete"
        // encrypted addresses
        case addressMalformed = "address_malformed"
        case addressUnknownVersion = "address_unknown_version"
        case addressTampered = "address_tampered"
        case addressWrongCustodian = "address_wrong_custodian"
        // schema
        case schemaNotCurrent = "schema_not_current"
        case migrationFailed = "migration_failed"
        case unexpectedDatabaseState = "unexpected_database_state"
        // configuration
        case invalidConfiguration = "invalid_configuration"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
