import ArgumentParser
import EthereumCore
import EthereumRPC
import Foundation
import MDRSChain
import MDRSCore
import MDRSPostgres
import MDRSProtocol

extension StaffDirectory.Role: ExpressibleByArgument {}

/// `mdrs staff`: the hospital's staff directory, its people by name, and its publication.
struct StaffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff",
        abstract: "Custodian: name the hospital's staff (off-chain) and publish the directory.",
        discussion: """
            Names, roles and departments are kept in the hospital's database, never on-chain. `publish` writes the \
            directory the gateway serves at /v1/staff and puts its SHA-256 on-chain with the custodian key, which \
            is what lets other hospitals' portals and clients trust the names.
            """,
        subcommands: [Set.self, Remove.self, List.self, Publish.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add or change a member of staff (then publish).")

        @OptionGroup var settings: SettingsOptions
        @Option(help: "The staff member's address.") var address: String
        @Option(help: "The name people read, e.g. \"Dr. Ana Silva\".") var name: String
        @Option(help: "physician, nurse, pharmacist, technician, auditor, records_clerk or other.") var role: StaffDirectory.Role
        @Option(help: "The department, e.g. Cardiology.") var department: String?

        func run() async throws {
            let staff = try mdrs.address(address, "--address")
            try await withPostgres(try settings.settings()) { client, logger in
                try await StaffDirectoryStore(client: client, logger: logger).set(staff, name: name, role: role, department: department)
            }
            print("\(staff.checksummed): \(StaffDirectory.Member(address: staff.checksummed, name: name, role: role, department: department).display) (publish to make it known)")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a member of staff from the directory (then publish).")

        @OptionGroup var settings: SettingsOptions
        @Option(help: "The staff member's address.") var address: String

        func run() async throws {
            let staff = try mdrs.address(address, "--address")
            let removed = try await withPostgres(try settings.settings()) { client, logger in
                try await StaffDirectoryStore(client: client, logger: logger).remove(staff)
            }
            print(removed ? "\(staff.checksummed) removed (publish to make it known)" : "\(staff.checksummed) was not listed")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the directory as the database holds it.")

        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            let members = try await withPostgres(try settings.settings()) { client, logger in
                try await StaffDirectoryStore(client: client, logger: logger).members()
            }
            for member in members {
                print("\(member.address)  \(member.display)")
            }
            print("\(members.count) listed")
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the directory the gateway serves and put its SHA-256 on-chain (custodian key, from the configuration).")

        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            let settings = try settings.settings()
            let configuration = try GatewayConfiguration(settings: settings)
            let key = try settings.keyLoader.signingKey(configuration.custodianKeyFile)
            let (digest, body) = try await withPostgres(settings) { client, logger in
                try await StaffDirectoryStore(client: client, logger: logger).writeDocument(
                    custodian: key.address, issuedAt: UInt64(Date().timeIntervalSince1970))
            }
            let client = EthereumClient(rpc: JSONRPCClient(configuration: .init(url: configuration.chain.rpcURL), httpClient: .shared))
            let submitter = try await TransactionSubmitter(client: client, key: key, expectedChainId: configuration.chain.chainId)
            let receipt: TransactionReceipt
            do {
                receipt = try await submitter.submit(to: configuration.chain.contract, data: try MedicalAccessContract.setDirectory(digest))
            } catch let error as SubmissionError where error.revertData != nil {
                throw ValidationError("the contract refused: \(MedicalAccessABI.revertReason(error.revertData ?? []))")
            }
            print("staff directory published: \(body.count) bytes, sha256 \(digest.hex) on-chain in block \(receipt.blockNumber)")
        }
    }
}
