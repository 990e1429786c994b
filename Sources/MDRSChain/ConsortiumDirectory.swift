import EthereumCore
import EthereumRPC
import MDRSCore

/// The hospitals of the consortium as the contract knows them: name, whether active, and the
/// gateway each published, so that a client finds the gateway of the hospital that holds a
/// record without being told its URL.
public struct ConsortiumDirectory: Sendable {
    /// One custodian.
    public struct Hospital: Sendable, Equatable {
        public let custodian: Address
        public let name: String
        public let active: Bool
        /// As published; empty if none.
        public let gateway: String
    }

    let contract: MedicalAccessContract
    /// The contract's deployment block: where the event scan starts.
    let fromBlock: UInt64

    public init(contract: MedicalAccessContract, fromBlock: UInt64 = 0) {
        self.contract = contract
        self.fromBlock = fromBlock
    }

    /// `custodian`'s hospital, read from the contract.
    public func hospital(_ custodian: Address) async throws -> Hospital {
        let state = try await contract.custodian(custodian)
        return Hospital(custodian: custodian, name: state.name, active: state.active, gateway: state.gateway)
    }

    /// The checked base URL of `custodian`'s gateway; the error names the hospital when it has
    /// none, is not active, or published one a client must not send a signed request to.
    public func gateway(of custodian: Address) async throws -> (hospital: Hospital, url: String) {
        let hospital = try await hospital(custodian)
        let name = hospital.name.isEmpty ? "custodian \(custodian.checksummed)" : "\(hospital.name) (\(custodian.checksummed))"
        guard hospital.active else { throw GatewayError(.invalidConfiguration, "\(name) is not an active custodian of the consortium") }
        return (hospital, try GatewayURL.checked(hospital.gateway, hospital: name))
    }

    /// Every custodian ever registered, with its current state, in registration order.
    public func hospitals() async throws -> [Hospital] {
        let logs = try await contract.client.logs(LogFilter(
            fromBlock: .number(fromBlock), addresses: [contract.address], topics: [[MedicalAccessABI.custodianRegistered.topic]]))
        var seen = Set<Address>()
        var hospitals = [Hospital]()
        for log in logs where !log.removed {
            guard case .custodianRegistered(let custodian) = contract.event(log), seen.insert(custodian).inserted else { continue }
            hospitals.append(try await hospital(custodian))
        }
        return hospitals
    }
}
