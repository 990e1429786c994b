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
            abstract: "Create a secp256k1 key, in FILE (mode 0600) or in a PKCS#11 token, and print its address.",
            discussion: """
                In a token (--pkcs11 pkcs11:token=<label>;object=<label>), the private key is created sensitive and \
                never extractable, allowed to sign only; the token's PIN comes from --pkcs11-pin-file, \
                MDRS_PKCS11_PIN_FILE or MDRS_PKCS11_PIN.
                """)

        @Argument(help: "Where to write the key; an existing file is never overwritten.")
        var file: String?

        @Option(name: .customLong("pkcs11"), help: "Create the key in a token instead: a pkcs11: URI.")
        var uri: String?

        @OptionGroup var pkcs11: PKCS11Options

        func validate() throws {
            guard (file == nil) != (uri == nil) else { throw ValidationError("give either FILE or --pkcs11 URI") }
        }

        func run() async throws {
            if let uri {
                print(try pkcs11.loader().newSigningKey(uri).address.checksummed)
                return
            }
            let key = PrivateKey.random()
            try key.write(toFile: file ?? "")
            print(key.address.checksummed)
        }
    }

    struct Address: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the address of a private key: in FILE, or in a token (a pkcs11: URI).")

        @Argument(help: "A private key file (64 hex digits), or a pkcs11: URI.")
        var key: String

        @OptionGroup var pkcs11: PKCS11Options

        func run() async throws {
            print(try pkcs11.loader().signingKey(key).address.checksummed)
        }
    }

    struct NewMaster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new-master",
            abstract: "Create a new AES-256 master key, in FILE (mode 0600) or in a PKCS#11 token, and print its key id.",
            discussion: """
                In a token (--pkcs11 pkcs11:token=<label>;object=<label>), the key is created sensitive and never \
                extractable, allowed to encrypt, decrypt and compute CMACs only: data keys are wrapped and unwrapped \
                inside the token.
                """)

        @Argument(help: "Where to write the key; an existing file is never overwritten.")
        var file: String?

        @Option(name: .customLong("pkcs11"), help: "Create the key in a token instead: a pkcs11: URI.")
        var uri: String?

        @OptionGroup var pkcs11: PKCS11Options

        func validate() throws {
            guard (file == nil) != (uri == nil) else { throw ValidationError("give either FILE or --pkcs11 URI") }
        }

        func run() async throws {
            if let uri {
                print(try pkcs11.loader().newMasterKey(uri).idHex)
                return
            }
            print(try MasterKey.generate(writingTo: file ?? "").idHex)
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

        @Argument(help: "The master key: a file, or a pkcs11: URI.") var master: String
        @Argument(help: "Where to write the address key (mode 0600, never overwritten).") var out: String
        @OptionGroup var pkcs11: PKCS11Options

        func run() async throws {
            let key = try pkcs11.loader().masterKey(master)
            try key.addressOnly.write(toFile: out)
            print("address key of master key \(key.idHex) written to \(out)")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-wrap every record's data key under the current master key (resumable).",
            discussion: """
                Configure keys.master_file as the new key and keys.previous_master_files with the old one (either may \
                be a file or a pkcs11: URI, so this also moves data keys from a file key to a key in an HSM), \
                restart the gateways, then run this. Chunks are not touched. Rerun until 0 remain; then the old \
                key can be retired from data-key wrapping (keep it in previous_master_files while encrypted \
                addresses sealed under it are in use).
                """)

        @OptionGroup var settings: SettingsOptions

        @Option(help: "Records re-wrapped per transaction.")
        var batchSize = 500

        func run() async throws {
            let settings = try settings.settings()
            let keys = settings.keyLoader
            let keyring = MasterKeyring(
                current: try keys.masterKey(try settings.require("keys.master_file")),
                previous: try settings.list("keys.previous_master_files").map(keys.masterKey))
            let batchSize = self.batchSize
            let progress = try await withPostgres(settings) { client, logger in
                try await RecordStore(client: client, keyring: keyring, logger: logger).rotateMasterKey(batchSize: batchSize)
            }
            print("re-wrapped \(progress.rewrapped) data keys under \(keyring.current.idHex); \(progress.remaining) remain")
        }
    }
}
