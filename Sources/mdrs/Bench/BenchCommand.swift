import ArgumentParser
import Crypto
import EthereumCore
import Foundation
import MDRSCore
import MDRSPostgres
import NIOCore

/// `mdrs bench`: measurements that print figures (never asserted in tests).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks.", subcommands: [Store.self, FetchLoad.self, SustainedLoad.self, PlainLoad.self, DiscardedDownload.self, LogGas.self, KeyOperations.self])

    struct Store: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stream a generated record into the store and back out; print MB/s each way and peak memory.")

        @OptionGroup var settings: SettingsOptions
        @Option(help: "Record size in MiB.") var mib = 1024
        @Option(help: "Chunk size in KiB.") var chunkKib = 1024

        func run() async throws {
            let settings = try settings.settings()
            let size = Int64(mib) << 20
            let chunkSize = chunkKib << 10
            let idleRSS = ResourceUsage.currentRSS()
            let keyring = MasterKeyring(current: try MasterKey(bytes: Bytes32.random().bytes))
            try await withPostgres(settings) { client, logger in
                try await Migrator(client: client, directory: migrationsDirectory(settings), logger: logger).migrate()
                let store = RecordStore(
                    client: client, keyring: keyring,
                    configuration: .init(chunkSize: chunkSize, maximumRecordSize: size), logger: logger)
                let writeStart = ContinuousClock.now
                let record = try await store.write(
                    patient: PrivateKey.random().address, contentType: "application/octet-stream",
                    body: GeneratedBody(length: size))
                let writeTime = ContinuousClock.now - writeStart
                let readStart = ContinuousClock.now
                var hasher = SHA256()
                var read: Int64 = 0
                for try await buffer in try store.read(try await store.record(record.id)) {
                    buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                    read += Int64(buffer.readableBytes)
                }
                let readTime = ContinuousClock.now - readStart
                let digest = try Bytes32(bytes: Array(hasher.finalize()))
                guard digest == record.sha256, read == size else { throw ValidationError("read back different bytes") }
                let mb = Double(size) / 1_000_000
                print(String(format: "record       %d MiB in %d KiB chunks (%d chunks)", mib, chunkKib, record.chunkCount))
                print(String(format: "write        %.1f MB/s (%.2f s)", mb / writeTime.seconds, writeTime.seconds))
                print(String(format: "read         %.1f MB/s (%.2f s), sha256 verified", mb / readTime.seconds, readTime.seconds))
                print(String(format: "memory       idle %.1f MiB, peak %.1f MiB, peak above idle %.1f MiB",
                             Double(idleRSS) / 1_048_576, Double(ResourceUsage.peakRSS()) / 1_048_576,
                             Double(ResourceUsage.peakRSS() - idleRSS) / 1_048_576))
                print("record id    \(record.id.hex) (left in the database for COPY comparisons)")
            }
        }
    }
}

/// A pseudo-random body of a given length, produced in 256 KiB pieces without holding it.
struct GeneratedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let length: Int64

    func makeAsyncIterator() -> Iterator { Iterator(remaining: length) }

    struct Iterator: AsyncIteratorProtocol {
        var remaining: Int64
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15

        mutating func next() async throws -> ByteBuffer? {
            guard remaining > 0 else { return nil }
            let count = Int(Swift.min(remaining, 256 << 10))
            var buffer = ByteBuffer()
            buffer.reserveCapacity(count)
            for _ in 0..<(count / 8) {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                buffer.writeInteger(state)
            }
            buffer.writeRepeatingByte(0x5A, count: count % 8)
            remaining -= Int64(count)
            return buffer
        }
    }
}

/// The process's resident memory, from /proc.
enum ResourceUsage {
    static func field(_ name: String) -> Int64 {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") })
        else { return 0 }
        let kib = line.split(separator: " ").compactMap { Int64($0) }.first ?? 0
        return kib * 1024
    }

    static func currentRSS() -> Int64 { field("VmRSS") }
    static func peakRSS() -> Int64 { field("VmHWM") }
}
