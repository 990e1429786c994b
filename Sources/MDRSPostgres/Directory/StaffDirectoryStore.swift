import Crypto
import EthereumCore
import Foundation
import Logging
import MDRSCore
import MDRSProtocol
import NIOCore
import PostgresNIO

/// The hospital's staff directory in PostgreSQL: who its staff are by name, role and department,
/// and the directory documents published from it (the bytes the gateway serves at `/v1/staff`,
/// whose SHA-256 the custodian puts on-chain).
public struct StaffDirectoryStore: Sendable {
    let client: PostgresDatabase
    let logger: Logger

    public init(client: some PostgresDatabaseConvertible, logger: Logger) {
        self.client = client.database
        self.logger = logger
    }

    /// Adds or changes a member of staff.
    public func set(_ staff: Address, name: String, role: StaffDirectory.Role, department: String?) async throws {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        let department = department?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...128).contains(name.count) else { throw GatewayError(.invalidConfiguration, "a name is 1 to 128 characters") }
        if let department, !(1...128).contains(department.count) {
            throw GatewayError(.invalidConfiguration, "a department is 1 to 128 characters")
        }
        try await client.query(
            """
            INSERT INTO staff_directory (staff, display_name, role, department, updated_at)
            VALUES (\(staff.buffer), \(name), \(role.rawValue), \(department), now())
            ON CONFLICT (staff) DO UPDATE SET display_name = EXCLUDED.display_name, role = EXCLUDED.role,
                department = EXCLUDED.department, updated_at = now()
            """, logger: logger)
    }

    /// Removes a member of staff; false if they were not listed.
    public func remove(_ staff: Address) async throws -> Bool {
        try await client.query("DELETE FROM staff_directory WHERE staff = \(staff.buffer) RETURNING 1", logger: logger).collect().count == 1
    }

    /// Everyone listed, by address.
    public func members() async throws -> [StaffDirectory.Member] {
        var members = [StaffDirectory.Member]()
        let rows = try await client.query(
            "SELECT staff, display_name, role, department FROM staff_directory ORDER BY staff", logger: logger)
        for try await (staff, name, role, department) in rows.decode((ByteBuffer, String, String, String?).self) {
            members.append(StaffDirectory.Member(
                address: try Address(buffer: staff).checksummed, name: name, role: StaffDirectory.Role(rawValue: role) ?? .other,
                department: department))
        }
        return members
    }

    /// The listed member `staff`, if any.
    public func member(_ staff: Address) async throws -> StaffDirectory.Member? {
        let rows = try await client.query(
            "SELECT display_name, role, department FROM staff_directory WHERE staff = \(staff.buffer)", logger: logger)
        for try await (name, role, department) in rows.decode((String, String, String?).self) {
            return StaffDirectory.Member(
                address: staff.checksummed, name: name, role: StaffDirectory.Role(rawValue: role) ?? .other, department: department)
        }
        return nil
    }

    /// Writes the directory document of everyone listed now, for `custodian`, and keeps it;
    /// returns its SHA-256 (to publish on-chain) and its bytes.
    public func writeDocument(custodian: Address, issuedAt: UInt64) async throws -> (sha256: Bytes32, body: [UInt8]) {
        let document = StaffDirectory(custodian: custodian.checksummed, issuedAt: issuedAt, staff: try await members())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = Array(try encoder.encode(document))
        let digest = try Bytes32(bytes: Array(SHA256.hash(data: body)))
        try await client.query(
            """
            INSERT INTO staff_directory_documents (sha256, body) VALUES (\(digest.buffer), \(ByteBuffer(bytes: body)))
            ON CONFLICT (sha256) DO UPDATE SET created_at = now()
            """, logger: logger)
        return (digest, body)
    }

    /// The newest directory document, as it was published; nil before the first.
    public func latestDocument() async throws -> [UInt8]? {
        let rows = try await client.query(
            "SELECT body FROM staff_directory_documents ORDER BY created_at DESC LIMIT 1", logger: logger)
        for try await body in rows.decode(ByteBuffer.self) { return Array(buffer: body) }
        return nil
    }
}
