import ArgumentParser
import AsyncHTTPClient
import EthereumCore
import Foundation
import MDRSChain
import MDRSClient
import MDRSCore
import MDRSProtocol

/// `mdrs emergency`: break the glass. A hospital allows some of its staff to; a patient may
/// refuse it; such a staff member declares an emergency for one record and fetches it with
/// `mdrs fetch --emergency`; everything on-chain, reviewed afterwards.
struct EmergencyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emergency",
        abstract: "Break-glass: declare an emergency for a record, allow staff to, or refuse it as a patient.",
        subcommands: [Declare.self, Show.self, Queue.self, Review.self, Allow.self, Rules.self, Policy.self])

    struct Declare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Staff allowed to break the glass: declare an emergency for one record; prints its id.",
            discussion: """
                The justification's SHA-256 goes on-chain; its text goes to the record's gateway with the fetch \
                (mdrs fetch --emergency ID --justification TEXT), which keeps it with the access. \
                Reasons: \(EmergencyReason.allCases.map(\.code).joined(separator: ", ")). \
                A patient's refusal or the day's bound is logged on-chain and exits with status 3.
                """)

        @OptionGroup var chain: ChainOptions
        @OptionGroup var key: KeyOption
        @Option(help: "The record id.") var record: String
        @Option(help: "The reason code.") var reason: String
        @Option(help: "Why: a short text, kept by the record's hospital (its SHA-256 on-chain).") var justification: String

        func run() async throws {
            let record = try bytes32(record, "--record")
            guard let code = EmergencyReason(code: reason) else {
                throw ValidationError("unknown reason \(reason); one of \(EmergencyReason.allCases.map(\.code).joined(separator: ", "))")
            }
            guard !justification.isEmpty, justification.utf8.count <= AccessPolicy.maximumJustificationBytes else {
                throw ValidationError("--justification must be 1 to \(AccessPolicy.maximumJustificationBytes) bytes")
            }
            let data = try MedicalAccessContract.declareEmergency(
                record, reason: code.rawValue, justification: AccessPolicy.justificationHash(justification))
            let receipt = try await send(chain, key, data, nil)
            let contract = try chain.resolvedContract()
            for log in receipt.logs where log.address == contract {
                if log.topics.first == MedicalAccessABI.emergencyDeclared.topic {
                    let event = try MedicalAccessABI.emergencyDeclared.decode(topics: log.topics, data: log.data)
                    let expiresAt = try event.value("expiresAt").asUInt64()
                    FileHandle.standardError.write(Data(
                        "emergency declared; open until \(Date(timeIntervalSince1970: TimeInterval(expiresAt))) for ETREAT only\n".utf8))
                    print(try event.value("emergency").asBytes32().hex)
                    return
                }
                if log.topics.first == MedicalAccessABI.emergencyRefused.topic {
                    let why = try MedicalAccessABI.emergencyRefused.decode(topics: log.topics, data: log.data).value("why").asUInt64()
                    let words = switch why {
                    case 1: "the patient refuses emergency access to their records"
                    case 2: "the patient allows emergency access only to the staff of the hospital that holds the record"
                    default: "you have reached today's bound on emergency declarations"
                    }
                    FileHandle.standardError.write(Data("emergency refused (logged on-chain): \(words)\n".utf8))
                    throw ExitCode(3)
                }
            }
            throw ValidationError("the declaration emitted neither EmergencyDeclared nor EmergencyRefused")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a declared emergency as the chain holds it.")

        @OptionGroup var chain: ChainOptions
        @Argument(help: "The emergency's id.") var id: String

        func run() async throws {
            let id = try bytes32(id, "id")
            try await chain.withClient { client, httpClient in
                let contract = try chain.contract(client)
                guard let emergency = try await contract.emergency(id) else { throw ValidationError("no emergency has this id") }
                // People and hospitals by name, from each hospital's directory checked against the chain.
                let people = StaffDirectoryReader(contract: contract, httpClient: httpClient)
                let declarer = await people.person(emergency.staff).display
                let holder = await people.hospitalName(emergency.custodian) ?? emergency.custodian.checksummed
                let verdict = ["not reviewed yet", "justified", "not justified"][Int(min(emergency.verdict, 2))]
                let reviewer = emergency.verdict == 0 ? "" : " by \(await people.person(emergency.reviewer).display) (\(emergency.reviewer.checksummed))"
                print("""
                    emergency      \(emergency.id)
                    declared by    \(declarer) (\(emergency.staff.checksummed)) in block \(emergency.declaredAt)
                    record         \(emergency.recordId) of patient \(emergency.patient.checksummed), held by \(holder)
                    reason         \(EmergencyReason(rawValue: emergency.reason)?.words ?? "code \(emergency.reason)")
                    justification  sha256 \(emergency.justification) (the text is kept by \(holder))
                    open until     \(Date(timeIntervalSince1970: TimeInterval(emergency.expiresAt)))
                    review         \(verdict)\(reviewer)
                    """)
            }
        }
    }

    struct Queue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Auditor: the emergencies this hospital released records in; by default those still to review.")

        @OptionGroup var chain: ChainOptions
        @OptionGroup var key: KeyOption
        @Option(help: "Your hospital's gateway.") var gateway = "http://127.0.0.1:8080"
        @Flag(help: "Every emergency, reviewed ones too.") var all = false

        func run() async throws {
            let client = try await GatewayClient(baseURL: gateway, key: try key.load(), httpClient: HTTPClient.shared)
            let queue = try await client.emergencies(reviewed: all ? nil : false)
            // Staff by name, from their hospitals' directories checked against the chain.
            let names = try await chain.withClient { ethereum, httpClient in
                let reader = StaffDirectoryReader(contract: try chain.contract(ethereum), httpClient: httpClient)
                var names = [String: String]()
                for staff in Swift.Set(queue.emergencies.map(\.staff) + queue.emergencies.compactMap(\.review?.reviewer)) {
                    if let address = try? Address(staff) { names[staff] = await reader.person(address).display }
                }
                return names
            }
            let formatter = ISO8601DateFormatter()
            for emergency in queue.emergencies {
                let when = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(emergency.firstReleasedAt)))
                print("\(emergency.id)")
                print("  \(when): \(emergency.releases) release\(emergency.releases == 1 ? "" : "s") of record \(emergency.recordId.prefix(10))… (patient \(emergency.patient ?? "?")) to \(names[emergency.staff] ?? emergency.staff)")
                print("  reason: \(emergency.reasonText ?? "code \(emergency.reason)"); justification: \(emergency.justification)")
                if let review = emergency.review {
                    print("  reviewed: \(review.verdictText) by \(names[review.reviewer] ?? review.reviewer)\(review.transactionHash.map { ", on-chain in \($0)" } ?? ", on its way on-chain"): \(review.note)")
                } else {
                    print("  NOT REVIEWED: mdrs emergency review \(emergency.id) --verdict justified|not-justified --note \"...\"")
                }
            }
            print("\(queue.emergencies.count) emergenc\(queue.emergencies.count == 1 ? "y" : "ies")\(all ? "" : " to review")")
        }
    }

    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Auditor: close an emergency with your verdict and why; signed by you, kept by the hospital and recorded on-chain. Final.")

        @OptionGroup var key: KeyOption
        @Option(help: "Your hospital's gateway.") var gateway = "http://127.0.0.1:8080"
        @Argument(help: "The emergency's id.") var id: String
        @Option(help: "justified or not-justified.") var verdict: String
        @Option(help: "Why, for the patient and the hospital to read.") var note: String

        func run() async throws {
            let id = try bytes32(id, "id")
            guard verdict == "justified" || verdict == "not-justified" else { throw ValidationError("--verdict is justified or not-justified") }
            let client = try await GatewayClient(baseURL: gateway, key: try key.load(), httpClient: HTTPClient.shared)
            let review = try await client.reviewEmergency(id, justified: verdict == "justified", note: note)
            print("reviewed: \(review.verdictText) (kept by the hospital; the outbox records it on-chain)")
        }
    }

    struct Allow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hospital: allow a registered member of its staff to break the glass (or, with --revoke, no longer).")

        @OptionGroup var chain: ChainOptions
        @OptionGroup var key: KeyOption
        @Option(help: "The staff member's address.") var staff: String
        @Flag(help: "Withdraw the permission.") var revoke = false

        func run() async throws {
            let staff = try address(staff, "--staff")
            try await send(
                chain, key, try MedicalAccessContract.setEmergencyStaff(staff, allowed: !revoke),
                revoke ? "\(staff.checksummed) may no longer break the glass" : "\(staff.checksummed) may break the glass")
        }
    }

    struct Rules: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hospital: how long an emergency on its records stays open, and how many its staff may declare a day.")

        @OptionGroup var chain: ChainOptions
        @OptionGroup var key: KeyOption
        @Option(help: "Hours an emergency stays open (at most 24).") var windowHours: Double = 4
        @Option(help: "Declarations per member of staff per UTC day.") var dailyLimit: UInt64 = 3

        func run() async throws {
            guard windowHours > 0, windowHours <= 24 else { throw ValidationError("--window-hours must be above 0 and at most 24") }
            try await send(
                chain, key, try MedicalAccessContract.setEmergencyRules(window: UInt64(windowHours * 3600), dailyLimit: dailyLimit),
                "emergency rules set: \(windowHours) h, \(dailyLimit) a day")
        }
    }

    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Patient: who may break the glass on your records: any-allowed-staff (the default), holding-hospital-only, or nobody.")

        @OptionGroup var chain: ChainOptions
        @OptionGroup var key: KeyOption
        @Argument(help: "any-allowed-staff, holding-hospital-only or nobody.") var stance: String

        func run() async throws {
            let policy: EmergencyPolicy
            switch stance {
            case "any-allowed-staff": policy = .anyAllowedStaff
            case "holding-hospital-only": policy = .holdingHospitalOnly
            case "nobody": policy = .refuse
            default: throw ValidationError("unknown stance \(stance): any-allowed-staff, holding-hospital-only or nobody")
            }
            try await send(chain, key, try MedicalAccessContract.setEmergencyPolicy(policy), "emergency access to your records: \(stance)")
        }
    }
}
