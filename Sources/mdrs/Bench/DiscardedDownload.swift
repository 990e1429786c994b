import ArgumentParser
import EthereumCore
import Foundation
import MDRSClient
import MDRSProtocol
import NIOCore

/// `mdrs bench download`: one signed fetch whose bytes are counted and dropped, to measure what
/// the gateway streams when the client neither stores nor hashes (`mdrs fetch` does both, and on
/// a small machine its file writes bound the rate).
struct DiscardedDownload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download", abstract: "Fetch a record with a grant token and discard it; print bytes and MB/s.")

    @OptionGroup var chain: ChainOptions
    @OptionGroup var key: KeyOption
    @Option(help: "The gateway's base URL.") var gateway = "http://127.0.0.1:8080"
    @Option(help: "The grant token.") var token: String

    func run() async throws {
        let key = try key.load()
        let token = try bytes32(token, "--token")
        try await chain.withClient { ethereum, httpClient in
            let (client, anchor) = try await staffFetch(chain, ethereum, httpClient, key: key, gateway: gateway, token: token)
            let start = ContinuousClock.now
            let response = try await client.fetch(
                token: token, encryptedAddress: encryptedAddressText(anchor.encryptedAddress), purpose: .treatment)
            guard response.status == .ok else {
                let body = try await response.body.collect(upTo: 1 << 16)
                throw ValidationError("the gateway answered \(response.status.code): \(String(buffer: body))")
            }
            var size: Int64 = 0
            for try await buffer in response.body { size += Int64(buffer.readableBytes) }
            let seconds = (ContinuousClock.now - start).seconds
            print("downloaded \(size) bytes in \(String(format: "%.2f", seconds)) s: \(String(format: "%.1f", Double(size) / 1e6 / seconds)) MB/s (discarded)")
        }
    }
}
