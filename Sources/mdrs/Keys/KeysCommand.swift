import ArgumentParser
import Ethereum

/// `mdrs keys`: create and inspect signing keys.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create and inspect keys.",
        subcommands: [New.self, Address.self]
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
}
