import AsyncHTTPClient
import Crypto
import EthereumCore
import Foundation
import MDRSClient
import MDRSProtocol
import NIOCore
import Testing
extension ProcessFaultSuites {
    /// A restart for an upgrade, as a hospital does it in working hours: SIGTERM lets the downloads
    /// in flight finish, tells the proxy first (readiness), takes no new work, and exits 0.
    @Suite("Graceful shutdown")
    struct GracefulShutdownTests {
        @Test(
            "SIGTERM during a slow download: readiness says no at once, the download completes whole, the process exits 0",
            .timeLimit(.minutes(5)))
        func drainsDownloadInFlight() async throws {
            let stack = try await DatabaseFaultTests.Stack.start(gateways: 1)
            let gateway = stack.gateways[0]
            let size = 24 << 20
            var record = [UInt8](repeating: 0, count: size)
            for i in stride(from: 0, to: size, by: 4096) { record[i] = UInt8(truncatingIfNeeded: i >> 12) }
            let clerk = try await GatewayClient(baseURL: gateway.baseURL, key: stack.deployment.clerk, httpClient: HTTPClient.shared)
            let stored = try await clerk.store(
                body: .bytes(ByteBuffer(bytes: record)), sha256: Bytes32.sha256(record), patient: stack.deployment.patient.address,
                contentType: "application/octet-stream")
            try await eventually("the anchor is on-chain", timeout: .seconds(60)) {
                try await stack.deployment.contract.record(try Bytes32(stored.recordId)) != nil
            }
            let token = try await stack.deployment.grant(try Bytes32(stored.recordId), to: stack.deployment.doctor)
            let doctor = try await GatewayClient(baseURL: gateway.baseURL, key: stack.deployment.doctor, httpClient: HTTPClient.shared)
            let response = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            #expect(response.status == .ok)

            // Read at about 4 MiB/s (six seconds in all); SIGTERM once the first MiB is in.
            var hasher = SHA256()
            var received = 0
            var signalledAt: ContinuousClock.Instant?
            var readinessDuringDrain: String?
            var stalled = false
            let started = ContinuousClock.now
            for try await buffer in response.body {
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                received += buffer.readableBytes
                if signalledAt == nil, received >= 1 << 20 {
                    gateway.signalTerminate()
                    signalledAt = .now
                    try await Task.sleep(for: .milliseconds(300))
                    do {
                        let ready = try await HTTPClient.shared.execute(HTTPClientRequest(url: gateway.baseURL + "/health/ready"), timeout: .seconds(2))
                        readinessDuringDrain = "HTTP \(ready.status.code)"
                        _ = try await ready.body.collect(upTo: 1 << 16)
                    } catch {
                        readinessDuringDrain = "refused (\(type(of: error)))"
                    }
                }
                let due = started + .milliseconds(received / (4 << 10))
                if ContinuousClock.now < due { try await Task.sleep(until: due) }
                // Near the end the reader stalls for 3 s (a client starved of CPU, a slow network):
                // the server has long written everything, and must not close before it is taken.
                if !stalled, received >= size - (2 << 20) {
                    stalled = true
                    try await Task.sleep(for: .seconds(3))
                }
            }
            let drained = signalledAt.map { ContinuousClock.now - $0 }
            let status = await gateway.waitForExit(timeout: .seconds(30))
            print("graceful shutdown: \(received) of \(size) bytes after SIGTERM at 1 MiB, the download ended \(drained.map { "\($0)" } ?? "?") after the signal; readiness meanwhile \(readinessDuringDrain ?? "not asked"); exit status \(status.map(String.init) ?? "still running")")
            #expect(received == size, "the download was cut short")
            #expect(try Bytes32(bytes: Array(hasher.finalize())) == Bytes32.sha256(record))
            #expect(readinessDuringDrain != "HTTP 200", "readiness still said ready while draining")
            #expect(status == 0, "\(gateway.log.suffix(2000))")
        }

        @Test("SIGTERM while the database is down: the process still stops, within seconds, with exit status 0", .timeLimit(.minutes(6)))
        func stopsWithoutDatabase() async throws {
            let stack = try await DatabaseFaultTests.Stack.start(gateways: 1)
            let gateway = stack.gateways[0]
            try await stack.postgres.stopImmediately()
            try await Task.sleep(for: .seconds(2))
            let signalled = ContinuousClock.now
            gateway.signalTerminate()
            let status = await gateway.waitForExit(timeout: .seconds(40))
            // The drain's second, then the log writer's round waiting for a connection that never
            // comes, cancelled after 5 s (OutboxWriter.shutdownGrace); it used to wait for ever.
            print("SIGTERM with the database down: exit status \(status.map(String.init) ?? "none (still running)") after \(ContinuousClock.now - signalled)")
            #expect(status == 0, "\(gateway.log.suffix(3000))")
            if status == nil { await gateway.crash() }
        }
    }
}
