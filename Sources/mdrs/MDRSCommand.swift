import ArgumentParser

/// `mdrs`: the gateway and the tools each actor uses with it.
@main
struct MDRSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mdrs",
        abstract: "Medical data resource server gateway: records in PostgreSQL, consent and audit on-chain.",
        discussion: """
            Custodian (hospital IT): serve, migrate, keys, staff, contract. Hospital systems: put. Patients: grant, revoke.
            Medical staff: request-access, fetch. Auditors: audit. Benchmarks: bench.
            """,
        subcommands: [
            ServeCommand.self, MigrateCommand.self, KeysCommand.self, RecordsCommand.self, OutboxCommand.self, StaffCommand.self, ContractCommand.self,
            PutCommand.self,
            GrantCommand.self, RevokeCommand.self, RequestAccessCommand.self, FetchCommand.self, EmergencyCommand.self, DocumentsCommand.self, AuditCommand.self, HistoryCommand.self,
            BenchCommand.self,
        ]
    )
}
