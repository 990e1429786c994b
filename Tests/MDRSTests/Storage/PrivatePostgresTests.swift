import Testing

@Suite("Private PostgreSQL")
struct PrivatePostgresTests {
    @Test("starts, crashes and comes back", .timeLimit(.minutes(6)))
    func lifecycle() async throws {
        let postgres = try await PrivatePostgres()
        try await postgres.migrate()
        try await postgres.stopImmediately()
        try await postgres.start()
        try await postgres.killPostmaster()
        try await postgres.start()
        try await postgres.migrate()
    }
}
