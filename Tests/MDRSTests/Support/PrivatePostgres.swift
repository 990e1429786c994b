import Foundation
import Logging
import MDRSPostgres
import PostgresNIO
import Testing

/// A PostgreSQL cluster of the test's own, for tests that crash, stop or restart the database
/// (which would disturb every other test on the shared one). Started with the same binaries
/// `deploy/dev test` uses, as the postgres user when the tests run as root (initdb refuses root).
final class PrivatePostgres: @unchecked Sendable {
    let directory: String
    /// Where it listens; a promoted standby may take over its old primary's port (an address
    /// moved to the new primary, as a virtual IP or a proxy does).
    private(set) var port: Int
    static let user = "mdrs"
    static var binaries: String { ProcessInfo.processInfo.environment["PG_BIN"] ?? "/usr/lib/postgresql/15/bin" }

    init() async throws {
        directory = "/tmp/mdrs-pg-\(UUID().uuidString.prefix(8))"
        port = try freePort()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // The server runs as the postgres user and writes its log here.
        chmod(directory, 0o777)
        try await Self.run(as: true, Self.binaries + "/initdb", "-D", dataDirectory, "-U", Self.user, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        try await start()
        try await Self.run(as: true, Self.binaries + "/createdb", "-h", "127.0.0.1", "-p", String(port), "-U", Self.user, "mdrs")
    }

    /// A hot standby of `primary` by streaming replication (`pg_basebackup -R`), started on a
    /// port of its own.
    init(standbyOf primary: PrivatePostgres) async throws {
        directory = "/tmp/mdrs-pg-\(UUID().uuidString.prefix(8))"
        port = try freePort()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o777)
        try await Self.run(
            as: true, Self.binaries + "/pg_basebackup", "-h", "127.0.0.1", "-p", String(primary.port), "-U", Self.user, "-D", dataDirectory,
            "-R", "-X", "stream", "-c", "fast")
        try await start()
    }

    /// Makes this standby a primary (`pg_ctl promote`).
    func promote() async throws {
        try await Self.run(as: true, Self.binaries + "/pg_ctl", "-D", dataDirectory, "-w", "promote")
    }

    /// Stops the server (fast) and starts it again on `port`.
    func restart(onPort port: Int) async throws {
        try await Self.run(as: true, Self.binaries + "/pg_ctl", "-D", dataDirectory, "-m", "fast", "-w", "stop")
        self.port = port
        try await start()
    }

    var dataDirectory: String { directory + "/data" }
    /// Where the WAL is archived once ``enableArchiving()`` ran.
    var archiveDirectory: String { directory + "/archive" }

    /// Turns WAL archiving on (`archive_mode`, which needs a restart): every finished WAL file
    /// is copied to ``archiveDirectory``, for a point-in-time recovery.
    func enableArchiving() async throws {
        try FileManager.default.createDirectory(atPath: archiveDirectory, withIntermediateDirectories: true)
        chmod(archiveDirectory, 0o777)
        try await sql("ALTER SYSTEM SET archive_mode = on")
        try await sql("ALTER SYSTEM SET archive_command = 'test ! -f \(archiveDirectory)/%f && cp %p \(archiveDirectory)/%f'")
        try await restart(onPort: port)
    }

    /// A base backup (`pg_basebackup`, with the WAL it needs) in a directory of its own; returns
    /// the directory.
    func baseBackup() async throws -> String {
        let backup = directory + "/base-\(UUID().uuidString.prefix(8))"
        try await Self.run(
            as: true, Self.binaries + "/pg_basebackup", "-h", "127.0.0.1", "-p", String(port), "-U", Self.user, "-D", backup,
            "-X", "stream", "-c", "fast")
        return backup
    }

    /// Ends the current WAL file and waits until the archive holds it: what was written up to
    /// now can be recovered from the archive.
    func archiveCurrentWAL() async throws {
        let file = try await TestEnvironment.run(client()) { client in
            for try await name in try await client.query("SELECT pg_walfile_name(pg_switch_wal())", logger: TestEnvironment.logger).decode(String.self) {
                return name
            }
            return ""
        }
        try await eventually("the WAL file \(file) is archived", timeout: .seconds(30)) {
            FileManager.default.fileExists(atPath: self.archiveDirectory + "/" + file)
        }
    }

    /// A disaster and its recovery: the server is stopped at once and its data directory set
    /// aside, and the base backup `backup` is recovered from the WAL archive up to the restore
    /// point `name` (`pg_create_restore_point`), then promoted, on the same port.
    func restore(from backup: String, toRestorePoint name: String) async throws {
        try await stopImmediately()
        try await Self.run(as: true, "/bin/mv", dataDirectory, directory + "/data-before-restore")
        try await Self.run(as: true, "/bin/cp", "-a", backup, dataDirectory)
        let settings = """

            restore_command = 'cp \(archiveDirectory)/%f %p'
            recovery_target_name = '\(name)'
            recovery_target_action = 'promote'

            """
        try await Self.run(as: true, "/bin/sh", "-c", "printf '%s' \"$0\" >> \(dataDirectory)/postgresql.auto.conf && touch \(dataDirectory)/recovery.signal", settings)
        try await start()
        try await eventually("the restored database has recovered and been promoted", timeout: .seconds(60)) {
            try await self.count("SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END") == 0
        }
    }

    /// Starts the server; after a crash PostgreSQL first replays its WAL. A postmaster killed
    /// with SIGKILL leaves backends behind that still hold its shared memory until they notice;
    /// the start is retried until they are gone.
    func start() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            do {
                try await Self.run(
                    as: true, Self.binaries + "/pg_ctl", "-D", dataDirectory, "-l", directory + "/server.log", "-w", "-t", "60",
                    "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c max_connections=100", "start")
                return
            } catch where ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(300))
            }
        }
    }

    /// `pg_ctl stop -m immediate`: every backend exits at once, nothing is checkpointed, and the
    /// next start runs crash recovery, as after a power cut.
    func stopImmediately() async throws {
        try await Self.run(as: true, Self.binaries + "/pg_ctl", "-D", dataDirectory, "-m", "immediate", "-w", "stop")
    }

    /// SIGKILL to the postmaster: its backends are orphaned and exit on their own.
    func killPostmaster() async throws {
        let pidFile = (try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8)) ?? ""
        guard let pid = pidFile.split(separator: "\n").first.flatMap({ Int32($0) }) else { return }
        kill(pid, SIGKILL)
        while kill(pid, 0) == 0 { try await Task.sleep(for: .milliseconds(20)) }
    }

    /// A client on `database` of this cluster.
    func client(database: String = "mdrs") -> PostgresClient {
        var configuration = PostgresClient.Configuration(
            host: "127.0.0.1", port: port, username: Self.user, password: nil, database: database, tls: .disable)
        configuration.options.maximumConnections = 4
        return PostgresClient(configuration: configuration)
    }

    /// Applies the schema to `database` (the cluster's own `mdrs`).
    func migrate(database: String = "mdrs") async throws {
        try await TestEnvironment.run(client(database: database)) { client in
            try await Migrator(client: client, directory: TestEnvironment.migrations, logger: TestEnvironment.logger).migrate()
        }
    }

    /// Runs one statement on `database` with a client of its own.
    func sql(_ sql: String, database: String = "mdrs") async throws {
        try await TestEnvironment.run(client(database: database)) { client in
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: TestEnvironment.logger)
        }
    }

    /// The single integer `query` returns.
    func count(_ query: String, database: String = "mdrs") async throws -> Int {
        try await TestEnvironment.run(client(database: database)) { client in
            for try await value in try await client.query(PostgresQuery(unsafeSQL: query), logger: TestEnvironment.logger).decode(Int64.self) {
                return Int(value)
            }
            return 0
        }
    }

    /// The settings that point a gateway process at this cluster.
    var settings: [String: String] {
        ["postgres.host": "127.0.0.1", "postgres.port": String(port), "postgres.user": Self.user, "postgres.database": "mdrs"]
    }

    /// Runs a program to its end; throws with its output if it fails. `asPostgres` runs it as
    /// the postgres user when the tests run as root.
    ///
    /// posix_spawn and waitpid rather than Foundation's Process: it did not notice `runuser`
    /// exit here (the child stayed a zombie and `isRunning` true).
    static func run(as asPostgres: Bool, _ arguments: String...) async throws {
        _ = try await runCapturing(asPostgres: asPostgres, arguments)
    }

    /// What a program (not as the postgres user) printed; throws if it failed.
    static func output(_ arguments: String...) async throws -> String {
        try await runCapturing(asPostgres: false, arguments)
    }

    private static func runCapturing(asPostgres: Bool, _ arguments: [String]) async throws -> String {
        var arguments = arguments
        if asPostgres && getuid() == 0 {
            arguments = ["/usr/sbin/runuser", "-u", "postgres", "--"] + arguments
        }
        // Output to a file, not a pipe: `pg_ctl start` leaves the server running with the
        // descriptors it inherited, and a pipe's reader would wait for the server's end.
        let outputFile = NSTemporaryDirectory() + "mdrs-run-\(UUID().uuidString).log"
        defer { unlink(outputFile) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard spawned == 0 else {
            throw PrivatePostgresError(command: arguments.joined(separator: " "), output: "posix_spawn: \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        // WIFEXITED and WEXITSTATUS, which Swift does not import.
        let text = String(decoding: FileManager.default.contents(atPath: outputFile) ?? Data(), as: UTF8.self)
        guard status & 0x7f == 0 && (status >> 8) & 0xff == 0 else {
            throw PrivatePostgresError(command: arguments.joined(separator: " "), output: "status \(status): \(text)")
        }
        return text
    }

    deinit {
        let directory = self.directory, data = dataDirectory
        let pidFile = (try? String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8)) ?? ""
        let pid = pidFile.split(separator: "\n").first.flatMap { Int32($0) }
        if let pid { kill(pid, SIGQUIT) }  // an immediate shutdown
        // Its files go once it has exited, on a thread of its own: a deinit may run on one of
        // the few threads Swift concurrency has, which must not sleep.
        Thread.detachNewThread {
            for _ in 0..<200 where pid.map({ kill($0, 0) == 0 }) ?? false { usleep(50_000) }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}

struct PrivatePostgresError: Error, CustomStringConvertible {
    let command: String
    let output: String
    var description: String { "\(command) failed: \(output)" }
}
