import ArgumentParser
import EthereumCore
import MDRSCore
import MDRSPostgres

/// `mdrs keys`: create and inspect signing keys.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create and inspect keys.",
        subcommands: [New.self, Address.self, NewMaster.self, Rotate.self, ExportAddressKey.self]
    )

    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new secp256k1 private key to FILE (mode 0600) and print its address.")

        @Argument(help: "Where to write the key; an existing file is never overwritten.")
        var file: String

        func run() async throws {
            let key = PrivateKey.random()
            try key.write(toFile: file)
            print(key.address.checksummed)
        }
    }

    struct Address: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the address of the private key in FILE.")

        @Argument(help: "A private key file: 64 hex digits.")
        var file: String

        func run() async throws {
            print(try PrivateKey(contentsOfFile: file).address.checksummed)
        }
    }

    struct NewMaster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new-master",
            abstract: "Write a new 32-byte master key to FILE (mode 0600) and print its key id.")

        @Argument(help: "Where to write the key; an existing file is never overwritten.")
        var file: String

        func run() async throws {
            print(try MasterKey.generate(writingTo: file).idHex)
        }
    }

    struct ExportAddressKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-address-key",
            abstract: "Write the encrypted-address key of a master key, so the master key itself can be destroyed.",
            discussion: """
                After `mdrs keys rotate` reports 0 remaining, export the old master key's address key, list it in \
                keys.retired_address_key_files, remove the old key from keys.previous_master_files, and destroy \
                it (and its backups). Addresses sealed under it still open; data keys wrapped by it in old \
                backups no longer do.
                """)

        @Argument(help: "The master key file.") var master: String
        @Argument(help: "Where to write the address key (mode 0600, never overwritten).") var out: String

        func run() async throws {
            let key = try MasterKey(contentsOfFile: master)
            try key.addressOnly.write(toFile: out)
            print("address key of master key \(key.idHex) written to \(out)")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-wrap every record's data key under the current master key (resumable).",
            discussion: """
                Configure keys.master_file as the new key and keys.previous_master_files with the old one, \
                restart the gateways, then run this. Chunks are not touched. Rerun until 0 remain; then the old \
                key can be retired from data-key wrapping (keep it in previous_master_files while encrypted \
                addresses sealed under it are in use).
                """)

        @OptionGroup var settings: SettingsOptions

        @Option(help: "Records re-wrapped per transaction.")
        var batchSize = 500

        func run() async throws {
            let settings = try settings.settings()
            let keyring = MasterKeyring(
                current: try MasterKey(contentsOfFile: try settings.require("keys.master_file")),
                previous: try settings.list("keys.previous_master_files").map(MasterKey.init(contentsOfFile:)))
            let batchSize = self.batchSize
            let progress = try await withPostgres(settings) { client, logger in
                try await RecordStore(client: client, keyring: keyring, logger: logger).rotateMasterKey(batchSize: batchSize)
            }
            print("re-wrapped \(progress.rewrapped) data keys under \(keyring.current.idHex); \(progress.remaining) remain")
        }
    }
}
