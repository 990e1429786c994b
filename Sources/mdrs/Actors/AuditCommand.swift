import ArgumentParser
import AsyncHTTPClient
import EthereumCore
import MDRSChain
import Foundation
import MDRSClient
import MDRSProtocol

/// `mdrs audit`: an auditor reads the access log (chain joined with the custodian's rows), or
/// checks that the two agree.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Auditor: list accesses or check the log's consistency.")

    enum Format: String, ExpressibleByArgument { case table, json, csv, fhir }

    @OptionGroup var chain: ChainOptions
    @OptionGroup var key: KeyOption
    @Option(help: "The gateway's base URL.") var gateway = "http://127.0.0.1:8080"
    @Option(help: "Only this record.") var record: String?
    @Option(help: "Only this patient.") var patient: String?
    @Option(help: "Only this staff member.") var staff: String?
    @Option(help: "From this Unix time.") var from: UInt64?
    @Option(help: "Until this Unix time.") var to: UInt64?
    @Option(help: "table, json, csv, or fhir (FHIR R4 AuditEvents, one JSON object a line: FHIR's NDJSON).") var format: Format = .table
    @Option(help: "Only this outcome (1 served, else the refusal's number).") var outcome: UInt8?
    @Option(help: "Only this purpose of use (its number).") var purpose: UInt8?
    @Flag(help: "Check that the chain and the custodian's rows agree.") var check = false
    @Flag(help: "With --check: check the whole log again, not only what is new.") var restart = false

    func run() async throws {
        let httpClient = HTTPClient.shared
        let client = try await GatewayClient(baseURL: gateway, key: try key.load(), httpClient: httpClient)
        if check {
            let data = try await client.audit("/v1/audit/check" + (restart ? "?restart=true" : ""))
            let report = try JSONDecoder().decode(ConsistencyReport.self, from: data)
            if format == .json {
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("on-chain entries \(report.onChainEntries), local rows \(report.localEntries)")
                let counts = report.counts
                print("missing on-chain \(counts.missingOnChain), unknown here \(counts.unknownHere), commitment mismatches \(counts.commitmentMismatch), waiting \(counts.waiting), rejected \(counts.rejected)")
                print("overdue (served, not on-chain past the stall bound) \(counts.overdue); released after the grant ended: revoked \(counts.servedAfterRevocation), expired \(counts.servedAfterExpiry), registration changed \(counts.servedAfterRegistrationChange)")
                if counts.lostInRestore > 0 {
                    let restored = report.databaseRestoredAt.map { " on \(Date(timeIntervalSince1970: TimeInterval($0)))" } ?? ""
                    print("lost in the database's restore\(restored): \(counts.lostInRestore) entries made before it are on-chain but no longer here")
                }
                print("checked through block \(report.indexedThroughBlock) (\(report.checkedEntries) entries new since the last check)")
                let sequence = report.sequence
                if sequence.complete {
                    print("sequence complete: entries 1...\(sequence.lastOnChain) all on-chain and indexed")
                } else {
                    print("sequence INCOMPLETE: \(sequence.missingNumbers) of 1...\(sequence.lastOnChain) have no entry")
                    for gap in sequence.gaps {
                        print(gap.from == gap.through ? "  gap: entry \(gap.from)" : "  gap: entries \(gap.from)...\(gap.through)")
                    }
                }
                if sequence.repeatedNumbers > 0 {
                    print("sequence REPEATS: \(sequence.repeatedNumbers) entries name a request id logged under an earlier number")
                    for item in sequence.repeats { print("  repeat: entry \(item.sequence) repeats entry \(item.repeats) (\(item.requestId))") }
                }
                for (kind, ids) in [
                    ("missing on-chain", report.missingOnChain), ("unknown here", report.unknownHere), ("lost in the restore", report.lostInRestore), ("commitment mismatch", report.commitmentMismatch),
                    ("rejected", report.rejected), ("overdue", report.overdue), ("released after revocation", report.servedAfterRevocation),
                    ("released after expiry", report.servedAfterExpiry), ("released after the registration changed", report.servedAfterRegistrationChange),
                ] {
                    for id in ids { print("  \(kind): \(id)") }
                }
                print(report.consistent ? "CONSISTENT" : "INCONSISTENT")
            }
            if !report.consistent { throw ExitCode(2) }
            return
        }
        if format == .fhir {
            try await printFHIR(client)
            return
        }
        var query = [String]()
        if let record { query.append("record=\(try bytes32(record, "--record").hex)") }
        if let patient { query.append("patient=\(try address(patient, "--patient").checksummed)") }
        if let staff { query.append("staff=\(try address(staff, "--staff").checksummed)") }
        if let from { query.append("from=\(from)") }
        if let to { query.append("to=\(to)") }
        if let outcome { query.append("outcome=\(outcome)") }
        if let purpose { query.append("purpose=\(purpose)") }
        let entries = try await client.auditEntries(query: query)
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(entries), as: UTF8.self))
        case .csv:
            print("accessed_at,request_id,record_id,staff,patient,purpose,outcome,reason,tx_hash,block,chain_state,commitment_valid")
            for e in entries {
                print([String(e.accessedAt), e.requestId, e.recordId, e.staff, e.patient ?? "", String(e.purpose), String(e.outcome),
                       e.local?.reason ?? "", e.onChain?.transactionHash ?? "", e.onChain.map { String($0.blockNumber) } ?? "",
                       e.local?.chainState.rawValue ?? "chain_only", e.local.map { String($0.commitmentValid) } ?? ""].joined(separator: ","))
            }
        case .table, .fhir:
            // People by name, from each hospital's directory checked against the chain; the
            // address where none is published (or the chain cannot be read from here).
            var people = [String: String]()
            if let contract = try? Address(client.info.contract) {
                let reader = try await chain.withClient { ethereum, http in
                    StaffDirectoryReader(contract: MedicalAccessContract(address: contract, client: ethereum), httpClient: http)
                }
                for staff in Set(entries.map(\.staff)) {
                    if let address = try? Address(staff) { people[staff] = await reader.person(address).display }
                }
            }
            print("TIME (UTC)           OUTCOME               WHO                                                                    RECORD       ON-CHAIN")
            let formatter = ISO8601DateFormatter()
            for e in entries {
                let time = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(e.accessedAt)))
                let outcome = e.outcome == 20 ? "EMERGENCY (no grant)" : e.local?.reason ?? (e.outcome == 1 ? "served" : "refused(\(e.outcome))")
                let chain = e.onChain.map { "block \($0.blockNumber)" } ?? (e.local?.chainState.rawValue ?? "-")
                let who = people[e.staff] ?? e.staff
                print("\(time.padding(toLength: 20, withPad: " ", startingAt: 0)) \(outcome.padding(toLength: 21, withPad: " ", startingAt: 0)) \(who.prefix(80).padding(toLength: 70, withPad: " ", startingAt: 0)) \(e.recordId.prefix(10))…  \(chain)")
            }
            print("\(entries.count) entries")
        }
    }

    /// The same filters as FHIR search parameters, the AuditEvents as NDJSON, page by page.
    func printFHIR(_ client: GatewayClient) async throws {
        guard outcome == nil, purpose == nil else {
            throw ValidationError("--format fhir searches by --record, --patient, --staff, --from and --to only")
        }
        var query = [String]()
        if let record { query.append("entity=\(try bytes32(record, "--record").hex)") }
        if let patient { query.append("patient=\(try address(patient, "--patient").checksummed)") }
        if let staff { query.append("agent=\(try address(staff, "--staff").checksummed)") }
        if let from { query.append("date=ge\(FHIRDateTime.instant(from))") }
        if let to { query.append("date=le\(FHIRDateTime.instant(to))") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try await client.forEachFHIRAuditEventPage(query: query) { events in
            for event in events { print(String(decoding: try encoder.encode(event), as: UTF8.self)) }
        }
    }
}
