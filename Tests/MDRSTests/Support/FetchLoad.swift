import AsyncHTTPClient
import EthereumCore
import Foundation
import MDRSClient
import MDRSProtocol
import NIOCore
import Synchronization

/// Signed fetches of one record by several workers at once, spread over gateway processes,
/// until stopped: what a ward's doctors do while an operator restarts the database. Every
/// answer is tallied by status; every 200 is checked byte for byte and its request id kept, so
/// a test can look each acknowledged access up afterwards.
final class FetchLoad: Sendable {
    struct Tally: Sendable {
        var acknowledged: [String] = []
        var statuses: [String: Int] = [:]
        /// The slowest answer to a request that was refused or failed.
        var slowestRefusal: Duration = .zero
        var serverErrors: [String] = []
    }

    let tally = Mutex(Tally())
    private let stopped = Atomic<Bool>(false)
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Starts `workers` loops; worker `i` sends to `baseURLs[i % count]`.
    init(workers: Int, baseURLs: [String], deployment: Deployment, token: Bytes32, encryptedAddress: String, expected: [UInt8]) {
        task.withLock {
            $0 = Task {
                await withTaskGroup(of: Void.self) { group in
                    for worker in 0..<workers {
                        let baseURL = baseURLs[worker % baseURLs.count]
                        group.addTask {
                            guard let client = try? await GatewayClient(baseURL: baseURL, key: deployment.doctor, httpClient: HTTPClient.shared)
                            else { return }
                            while !self.stopped.load(ordering: .relaxed) {
                                await self.one(client, token: token, encryptedAddress: encryptedAddress, expected: expected)
                            }
                        }
                    }
                }
            }
        }
    }

    private func one(_ client: GatewayClient, token: Bytes32, encryptedAddress: String, expected: [UInt8]) async {
        let started = ContinuousClock.now
        do {
            let request = try client.fetchRequest(token: token, encryptedAddress: encryptedAddress, purpose: .treatment)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
            let body = try await response.body.collect(upTo: 1 << 20)
            let elapsed = ContinuousClock.now - started
            tally.withLock { tally in
                tally.statuses[String(response.status.code), default: 0] += 1
                if response.status == .ok, Array(body.readableBytesView) == expected,
                    let id = response.headers.first(name: SignedRequest.Header.requestId)
                {
                    tally.acknowledged.append(id)
                } else {
                    tally.slowestRefusal = max(tally.slowestRefusal, elapsed)
                    if response.status.code >= 500 && response.status != .serviceUnavailable {
                        tally.serverErrors.append("\(response.status.code): \(String(buffer: body).prefix(200))")
                    }
                    if response.status == .serviceUnavailable && response.headers.first(name: "Retry-After") == nil {
                        tally.serverErrors.append("503 without Retry-After")
                    }
                }
            }
            // A doctor's pace, not a benchmark's: the writer must keep up between faults.
            try await Task.sleep(for: .milliseconds(response.status == .ok ? 20 : 50))
        } catch {
            // Refused connections while a gateway restarts; timeouts are answers too slow.
            let elapsed = ContinuousClock.now - started
            tally.withLock {
                $0.statuses["error", default: 0] += 1
                $0.slowestRefusal = max($0.slowestRefusal, elapsed)
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Stops the workers and waits for their last requests.
    func stop() async -> Tally {
        stopped.store(true, ordering: .relaxed)
        let task = task.withLock { $0 }
        await task?.value
        return tally.withLock { $0 }
    }

    /// Forgets the slowest refusal so far (before a new fault).
    func resetSlowest() { tally.withLock { $0.slowestRefusal = .zero } }
}
