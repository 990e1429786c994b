import AsyncHTTPClient
import EthereumCore
import EthereumRPC
import Foundation
import Testing

/// A dev chain of the test's own, for tests that stop mining or kill the node (which would
/// disturb every other test on the shared one).
final class PrivateChain: Sendable {
    let url: String
    let process: Process

    init(blockTime: Int = 0) async throws {
        // Port 0: the node binds a free port itself and reports it in its accounts file, so
        // parallel tests cannot race for the same port.
        let accountsFile = NSTemporaryDirectory() + "mdrs-chain-\(UUID().uuidString).json"
        process = Process()
        process.executableURL = URL(fileURLWithPath: try TestEnvironment.require("MDRS_TEST_PYTHON"))
        process.arguments = [
            TestEnvironment.repositoryRoot.appendingPathComponent("deploy/devchain/devchain.py").path,
            "--port", "0", "--block-time", String(blockTime), "--empty-blocks", "2", "--accounts-file", accountsFile,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var reported: String?
        for _ in 0..<1200 where reported == nil {
            if let data = FileManager.default.contents(atPath: accountsFile),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            {
                reported = object["rpcUrl"] as? String
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        try? FileManager.default.removeItem(atPath: accountsFile)
        url = try #require(reported, "the private dev chain did not start")
        let client = self.client
        try await eventually("the private dev chain answers", timeout: .seconds(60)) {
            _ = try await client.chainId()
            return true
        }
    }

    var client: EthereumClient {
        EthereumClient(rpc: JSONRPCClient(configuration: .init(url: url, timeout: .seconds(5)), httpClient: HTTPClient.shared))
    }

    func call(_ method: String, _ params: [JSONValue] = []) async throws {
        _ = try await client.rpc.call(method, params)
    }

    func stopMining() async throws { try await call("miner_stop") }
    func startMining() async throws { try await call("miner_start") }

    /// Stops the node and waits until it is gone. (Foundation's `waitUntilExit` spins a run
    /// loop that never turns on a Swift concurrency thread, so this polls instead.)
    func kill() async {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }

    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}

/// A free TCP port on the loopback interface.
func freePort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
        }
    }
    guard bound else { throw CancellationError() }
    return Int(UInt16(bigEndian: address.sin_port))
}
