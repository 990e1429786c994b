import EthereumCore
import Foundation
import Testing

/// A dishonest node in front of a real one (`Tests/tools/forging_node.py`): it answers every
/// `getGrant(token)` with a forged grant to `staff` for the record whose id is `token`, and
/// forwards everything else.
final class ForgingNode: Sendable {
    let url: String
    let process: Process

    convenience init(upstream: String, staff: Address, custodian: Address, patient: Address, epoch: UInt64) async throws {
        try await self.init(upstream: upstream, arguments: [
            "--staff", staff.checksummed, "--custodian", custodian.checksummed, "--patient", patient.checksummed, "--epoch", String(epoch),
        ])
    }

    /// A node that hides revocations: no `Revoked` logs, and every grant reads "not revoked".
    static func hidingRevocations(upstream: String) async throws -> ForgingNode {
        try await ForgingNode(upstream: upstream, arguments: ["--hide-revocations"])
    }

    /// A node whose head stays at the block it started with, always with a fresh timestamp.
    static func freezingHead(upstream: String, shiftingTimestampBy seconds: Int = 0) async throws -> ForgingNode {
        try await ForgingNode(upstream: upstream, arguments: ["--freeze-head", "--shift-timestamp", String(seconds)])
    }

    init(upstream: String, arguments: [String]) async throws {
        let portFile = NSTemporaryDirectory() + "mdrs-forger-\(UUID().uuidString)"
        process = Process()
        process.executableURL = URL(fileURLWithPath: try TestEnvironment.require("MDRS_TEST_PYTHON"))
        process.arguments = [
            TestEnvironment.repositoryRoot.appendingPathComponent("Tests/tools/forging_node.py").path,
            "--upstream", upstream, "--port-file", portFile,
        ] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var port: String?
        for _ in 0..<600 where port == nil {
            if let data = FileManager.default.contents(atPath: portFile) {
                port = String(decoding: data, as: UTF8.self)
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        try? FileManager.default.removeItem(atPath: portFile)
        url = "http://127.0.0.1:\(try #require(port, "the forging node did not start"))"
    }

    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}
