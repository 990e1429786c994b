import ArgumentParser
import EthereumCore
import MDRSCore
import MDRSPostgres

/// `mdrs records`: the custodian's operations on stored records.
struct RecordsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "records", abstract: "Custodian: operations on stored records.", subcommands: [Shred.self])

    struct Shred: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a record: delete its wrapped data key and its chunks (the on-chain anchor keeps only its hash).")

        @OptionGroup var settings: SettingsOptions
        @Option(help: "The record id.") var record: String

        func run() async throws {
            let settings = try settings.settings()
            let recordId = try bytes32(record, "--record")
            let keyring = MasterKeyring(current: try settings.keyLoader.masterKey(try settings.require("keys.master_file")))
            try await withPostgres(settings) { client, logger in
                try await RecordStore(client: client, keyring: keyring, logger: logger).shred(recordId)
            }
            print("record \(recordId) erased")
        }
    }
}
