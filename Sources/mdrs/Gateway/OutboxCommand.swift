import ArgumentParser
import EthereumCore
import Foundation
import MDRSPostgres

/// `mdrs outbox`: the operator's side of the on-chain access log.
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "Custodian: the on-chain access log's incidents.", subcommands: [Review.self])

    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the released records the chain does not account for as granted, or record the review of one.",
            discussion: """
                A served access that the contract logs as ServedWithoutGrant (the grant the gateway saw is not on the \
                chain), or refuses outright, means a record left without a grant on-chain to account for it: the \
                gateway stops releasing records until each such \
                access has been reviewed. Without --request this lists them; with --request and --note it records the \
                review (who looked, what was found) and, once none is left, releases resume.
                """)

        @OptionGroup var settings: SettingsOptions
        @Option(help: "The request id of the access reviewed.") var request: String?
        @Option(help: "What the review found (kept with the row).") var note: String?

        func run() async throws {
            let settings = try settings.settings()
            try await withPostgres(settings) { client, logger in
                let outbox = OutboxStore(client: client, logger: logger)
                if let request {
                    guard let note, !note.trimmingCharacters(in: .whitespaces).isEmpty else {
                        throw ValidationError("--note is required: say what the review found")
                    }
                    let requestId = try bytes32(request, "--request")
                    guard try await outbox.review(requestId, note: note) else {
                        throw ValidationError("no unreviewed rejected access has request id \(requestId)")
                    }
                    print("access \(requestId) reviewed")
                }
                let left = try await outbox.unreviewedRejections()
                if left.isEmpty {
                    print("no released record awaits review")
                } else {
                    for rejection in left {
                        let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(rejection.accessedAt)))
                        print("\(rejection.requestId)  \(time)  record \(rejection.recordId)  staff \(rejection.staff)  \(rejection.error ?? "")")
                    }
                    print("\(left.count) released record(s) await review; records are not released until none is left")
                }
            }
        }
    }
}
