import EthereumCore
import Logging
import MDRSChain
import MDRSCore
import ServiceLifecycle
import Synchronization

/// The web origins of the consortium's gateways, as their custodians published them on-chain:
/// the only origins other than its own that a gateway's portal may contact (its
/// Content-Security-Policy) and whose pages may read its API (CORS). Read at start and again
/// every `interval`, so a hospital that joins, moves or leaves is seen within it.
final class ConsortiumOrigins: Service, Sendable {
    let directory: ConsortiumDirectory
    let interval: Duration
    let logger: Logger
    private let origins = Mutex<Set<String>>([])

    init(directory: ConsortiumDirectory, interval: Duration = .seconds(10), logger: Logger) {
        self.directory = directory
        self.interval = interval
        self.logger = logger
    }

    /// The origins now: active custodians' gateways whose URL passes ``GatewayURL``.
    var current: Set<String> { origins.withLock { $0 } }

    func allows(_ origin: String) -> Bool { origins.withLock { $0.contains(origin.lowercased()) } }

    /// Reads the custodians' gateways from the chain.
    func refresh() async throws {
        var found = Set<String>()
        for hospital in try await directory.hospitals() where hospital.active {
            guard let url = try? GatewayURL.checked(hospital.gateway, hospital: hospital.name), let origin = GatewayURL.origin(url) else {
                continue
            }
            found.insert(origin)
        }
        let changed = origins.withLock { current -> Bool in
            defer { current = found }
            return current != found
        }
        if changed { logger.info("consortium gateways", metadata: ["origins": "\(found.sorted().joined(separator: " "))"]) }
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await refresh()
            } catch {
                // The last list stands: a node that does not answer refuses everything anyway.
                logger.debug("could not read the consortium's gateways", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }
}
