import ArgumentParser
import EthereumCore
import Foundation
import MDRSChain
import MDRSProtocol

/// `mdrs grant`: a patient grants a member of staff access to one record, on-chain.
struct GrantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grant", abstract: "Patient: grant a staff member access to a record; prints the token.")

    @OptionGroup var chain: ChainOptions
    @OptionGroup var key: KeyOption
    @Option(help: "The staff member's address.") var staff: String
    @Option(help: "The record id.") var record: String
    @Option(help: "Seconds until the grant expires.") var expiresIn: UInt64 = 86_400

    func run() async throws {
        let staff = try address(staff, "--staff")
        let record = try bytes32(record, "--record")
        // Expiry counts from the later of this clock and the chain's: a chain ahead of the
        // wall clock would otherwise shorten the grant, or refuse it as already expired.
        let now = try await chain.withClient { client, _ in
            max(UInt64(Date().timeIntervalSince1970), try await client.block(.latest)?.timestamp ?? 0)
        }
        let receipt = try await send(chain, key, try MedicalAccessContract.grant(staff: staff, recordId: record, expiresAt: now + expiresIn), nil)
        print(try grantedToken(in: receipt, of: try chain.resolvedContract()).hex)
    }
}

/// `mdrs revoke`: a patient revokes a grant.
struct RevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Patient: revoke a grant.")

    @OptionGroup var chain: ChainOptions
    @OptionGroup var key: KeyOption
    @Option(help: "The grant token.") var token: String

    func run() async throws {
        try await send(chain, key, try MedicalAccessContract.revoke(try bytes32(token, "--token")), "grant revoked")
    }
}

/// `mdrs request-access`: a member of staff asks a patient for a record (an on-chain event the
/// patient's wallet watches).
struct RequestAccessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "request-access", abstract: "Staff: ask the record's patient for access.")

    @OptionGroup var chain: ChainOptions
    @OptionGroup var key: KeyOption
    @Option(help: "The record id.") var record: String
    @Option(help: "Purpose of use (HL7): TREAT, ETREAT, HOPERAT, HPAYMT, HRESCH, PUBHLTH, PATRQT, HLEGAL.") var purpose = "TREAT"

    func run() async throws {
        guard let purpose = PurposeOfUse(code: purpose) else { throw ValidationError("unknown purpose \(purpose)") }
        try await send(chain, key, try MedicalAccessContract.requestAccess(try bytes32(record, "--record"), purpose: purpose), "access requested")
    }
}
