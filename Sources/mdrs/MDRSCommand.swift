import ArgumentParser

/// `mdrs`: the gateway and the tools each actor uses with it.
@main
struct MDRSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mdrs",
        abstract: "Medical data resource server gateway: records in PostgreSQL, consent and audit on-chain.",
        subcommands: [KeysCommand.self]
    )
}
