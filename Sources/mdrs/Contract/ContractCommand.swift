import ArgumentParser
import EthereumCore
import EthereumRPC
import Foundation
import MDRSChain
import MDRSCore

/// `mdrs contract`: deploy the consortium contract and run its admin and hospital steps.
struct ContractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contract",
        abstract: "Deploy the MedicalAccess contract; register custodians and staff.",
        subcommands: [
            Deploy.self, RegisterCustodian.self, DeregisterCustodian.self, SetGateway.self, RegisterStaff.self, DeregisterStaff.self,
            Hospitals.self, Show.self,
        ])

    struct Deploy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deploy the contract; the deploying key becomes its admin.")

        @OptionGroup var chain: ChainOptions
        @OptionGroup var key: KeyOption
        @Option(help: "The compiled artifact.") var artifact = "deploy/contract/MedicalAccess.json"
        @Option(help: "Also write the address to this file.") var out: String?

        func run() async throws {
            let artifact = try ContractArtifact(contentsOf: URL(fileURLWithPath: artifact))
            let key = try key.load()
            let address = try await chain.withClient { client, _ in
                try await artifact.deploy(using: try await chain.submitter(client, key: key))
            }
            if let out { try (address.checksummed + "\n").write(toFile: out, atomically: true, encoding: .utf8) }
            print(address.checksummed)
        }
    }

    struct RegisterCustodian: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Admin: register a hospital's gateway signing address.")

        @OptionGroup var chain: ChainOptions
        @OptionGroup var key: KeyOption
        @Option(help: "The gateway's signing address.") var custodian: String
        @Option(help: "The hospital's name.") var name: String

        func run() async throws {
            let data = try MedicalAccessContract.registerCustodian(try address(custodian, "--custodian"), name: name)
            try await send(chain, key, data, "custodian registered")
        }
    }

    struct DeregisterCustodian: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Admin: retire a custodian.")

        @OptionGroup var chain: ChainOptions
        @OptionGroup var key: KeyOption
        @Option(help: "The custodian address.") var custodian: String

        func run() async throws {
            try await send(chain, key, try MedicalAccessContract.deregisterCustodian(try address(custodian, "--custodian")), "custodian deregistered")
        }
    }

    struct SetGateway: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-gateway",
            abstract: "Custodian: publish the base URL of this hospital's gateway, where other hospitals' doctors fetch its records.")

        @OptionGroup var chain: ChainOptions
        @OptionGroup var key: KeyOption
        @Option(help: "The gateway's base URL: https (plain http only on loopback).") var url: String

        func run() async throws {
            let checked = try GatewayURL.checked(url, hospital: "this hospital")
            try await send(chain, key, try MedicalAccessContract.setGateway(checked), "gateway URL \(checked) published")
        }
    }

    struct Hospitals: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the consortium's hospitals and the gateways they published.")

        @OptionGroup var chain: ChainOptions

        func run() async throws {
            try await chain.withClient { client, _ in
                for hospital in try await ConsortiumDirectory(contract: try chain.contract(client)).hospitals() {
                    let gateway = hospital.gateway.isEmpty ? "(no gateway published)" : hospital.gateway
                    print("\(hospital.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(hospital.active ? "active  " : "retired ") \(gateway)  \(hospital.custodian.checksummed)")
                }
            }
        }
    }

    struct RegisterStaff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Custodian: register a member of staff.")

        @OptionGroup var chain: ChainOptions
        @OptionGroup var key: KeyOption
        @Option(help: "The staff member's address.") var staff: String

        func run() async throws {
            try await send(chain, key, try MedicalAccessContract.registerStaff(try address(staff, "--staff")), "staff registered")
        }
    }

    struct DeregisterStaff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Custodian: deregister a member of staff.")

        @OptionGroup var chain: ChainOptions
        @OptionGroup var key: KeyOption
        @Option(help: "The staff member's address.") var staff: String

        func run() async throws {
            try await send(chain, key, try MedicalAccessContract.deregisterStaff(try address(staff, "--staff")), "staff deregistered")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a record, grant, staff member or custodian as the contract holds it.")

        @OptionGroup var chain: ChainOptions
        @Option(help: "A record id.") var record: String?
        @Option(help: "A grant token.") var token: String?
        @Option(help: "A staff address.") var staff: String?
        @Option(help: "A custodian address.") var custodian: String?

        func run() async throws {
            try await chain.withClient { client, _ in
                let contract = try chain.contract(client)
                if let record {
                    guard let anchored = try await contract.record(try bytes32(record, "--record")) else { throw ValidationError("record not anchored") }
                    print("record \(anchored.recordId)\n  patient   \(anchored.patient)\n  custodian \(anchored.custodian)\n  sha256    \(anchored.contentHash)\n  address   \(encryptedAddressText(anchored.encryptedAddress))\n  block     \(anchored.anchoredAt)")
                }
                if let token {
                    guard let grant = try await contract.grant(try bytes32(token, "--token")) else { throw ValidationError("no such grant") }
                    print("grant \(grant.token)\n  patient   \(grant.patient)\n  staff     \(grant.staff)\n  record    \(grant.recordId)\n  expiresAt \(grant.expiresAt)\n  revoked   \(grant.revoked)")
                }
                if let staff {
                    print("staff \(staff): custodian \(try await contract.staffCustodian(try address(staff, "--staff"))?.checksummed ?? "none")")
                }
                if let custodian {
                    let state = try await contract.custodian(try address(custodian, "--custodian"))
                    print("custodian \(custodian): \"\(state.name)\" active \(state.active) since block \(state.registeredAt), gateway \(state.gateway.isEmpty ? "none" : state.gateway)")
                }
            }
        }
    }
}

/// Sends one contract transaction with `key` and reports it (unless `what` is nil); a revert
/// names the contract's error.
@discardableResult
func send(_ chain: ChainOptions, _ key: KeyOption, _ data: [UInt8], _ what: String?) async throws -> TransactionReceipt {
    try await send(chain, key: try key.load(), data, what)
}

/// ``send(_:_:_:_:)`` with a key already loaded.
@discardableResult
func send(_ chain: ChainOptions, key: any DigestSigner, _ data: [UInt8], _ what: String?) async throws -> TransactionReceipt {
    let contract = try chain.resolvedContract()
    let receipt = try await chain.withClient { client, _ in
        do {
            return try await chain.submitter(client, key: key).submit(to: contract, data: data)
        } catch let error as SubmissionError where error.revertData != nil {
            throw ValidationError("the contract refused: \(MedicalAccessABI.revertReason(error.revertData ?? []))")
        }
    }
    if let what { print("\(what) in block \(receipt.blockNumber) (tx \(receipt.transactionHash))") }
    return receipt
}

/// The text form staff present, from the bytes anchored on-chain.
func encryptedAddressText(_ bytes: [UInt8]) -> String {
    Base64URL.encode(bytes)
}

/// The token of the `Granted` event that `receipt` of a `grant` transaction to `contract` holds.
func grantedToken(in receipt: TransactionReceipt, of contract: Address) throws -> Bytes32 {
    guard let log = receipt.logs.first(where: { $0.address == contract && $0.topics.first == MedicalAccessABI.granted.topic }),
        let token = try? MedicalAccessABI.granted.decode(topics: log.topics, data: log.data).token
    else { throw ValidationError("the grant transaction emitted no Granted event") }
    return token
}
