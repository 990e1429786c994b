import AsyncHTTPClient
import Crypto
import EthereumCore
import Foundation
import MDRSCore
import MDRSProtocol
import NIOCore
import Synchronization

/// Names the consortium's staff for people: a staff address becomes "Dr. Ana Silva, physician,
/// Cardiology, St. Elsewhere Hospital". The name comes from the directory of the hospital the chain
/// shows registered the address, read from that hospital's gateway and accepted only if its bytes
/// hash to the SHA-256 the hospital published on-chain (a forged or altered directory is refused,
/// whoever serves it), and only for addresses that hospital registered.
public final class StaffDirectoryReader: Sendable {
    /// What a person reads for a member of staff.
    public struct Person: Sendable, Equatable {
        public let address: Address
        public let name: String?
        public let role: MDRSProtocol.StaffDirectory.Role?
        public let department: String?
        public let hospital: String?

        /// "Dr. Ana Silva, physician, Cardiology, St. Elsewhere Hospital"; the address's short
        /// form where no name is known.
        public var display: String {
            var parts = [name ?? "\(address.checksummed.prefix(8))…\(address.checksummed.suffix(4))"]
            if let role { parts.append(role.words) }
            if let department { parts.append(department) }
            if let hospital { parts.append(hospital) }
            return parts.joined(separator: ", ")
        }
    }

    /// Why a hospital's directory was not accepted.
    public struct DirectoryError: Error, CustomStringConvertible {
        public let description: String
    }

    let contract: MedicalAccessContract
    let httpClient: HTTPClient
    /// How long a directory read (or its failure) is kept: a long-lived reader (the gateway's)
    /// sees a republished directory, or a gateway that came back, within it.
    let maximumAge: Duration
    private let directories = Mutex<[Address: (result: Result<MDRSProtocol.StaffDirectory, DirectoryError>, readAt: ContinuousClock.Instant)]>([:])

    public init(contract: MedicalAccessContract, httpClient: HTTPClient, maximumAge: Duration = .seconds(60)) {
        self.contract = contract
        self.httpClient = httpClient
        self.maximumAge = maximumAge
    }

    /// `custodian`'s directory, checked against its on-chain SHA-256 (read at most once per
    /// ``maximumAge``).
    public func directory(of custodian: Address) async -> Result<MDRSProtocol.StaffDirectory, DirectoryError> {
        if let known = directories.withLock({ $0[custodian] }), ContinuousClock.now - known.readAt < maximumAge { return known.result }
        let result: Result<MDRSProtocol.StaffDirectory, DirectoryError>
        do {
            result = .success(try await read(custodian))
        } catch let error as DirectoryError {
            result = .failure(error)
        } catch {
            result = .failure(DirectoryError(description: "\(error)"))
        }
        directories.withLock { $0[custodian] = (result, .now) }
        return result
    }

    private func read(_ custodian: Address) async throws -> MDRSProtocol.StaffDirectory {
        let state = try await contract.custodian(custodian)
        let hospital = state.name.isEmpty ? custodian.checksummed : "\(state.name) (\(custodian.checksummed))"
        guard state.directory != .zero else { throw DirectoryError(description: "\(hospital) has published no staff directory") }
        let base = try GatewayURL.checked(state.gateway, hospital: hospital)
        let response = try await httpClient.execute(HTTPClientRequest(url: base + "/v1/staff"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw DirectoryError(description: "\(hospital)'s gateway answered HTTP \(response.status.code) for its staff directory")
        }
        let bytes = Array(body.readableBytesView)
        guard Array(SHA256.hash(data: bytes)) == state.directory.bytes else {
            throw DirectoryError(
                description: "the staff directory \(hospital)'s gateway serves does not hash to the SHA-256 \(hospital) published on-chain: refused")
        }
        let directory = try JSONDecoder().decode(MDRSProtocol.StaffDirectory.self, from: Data(bytes))
        guard (try? Address(directory.custodian)) == custodian else {
            throw DirectoryError(description: "the staff directory \(hospital) published names another custodian: refused")
        }
        return directory
    }

    /// The name `custodian` registered under, as the chain has it; nil if it cannot be read now.
    public func hospitalName(_ custodian: Address) async -> String? {
        (try? await contract.custodian(custodian))?.name
    }

    /// `staff` as a person reads it: the name from the directory of the hospital that registered
    /// them (now), with that hospital's name; the address alone if neither is known.
    public func person(_ staff: Address) async -> Person {
        guard let registration = try? await contract.staff(staff), registration.custodian != .zero else {
            return Person(address: staff, name: nil, role: nil, department: nil, hospital: nil)
        }
        let hospital = (try? await contract.custodian(registration.custodian))?.name
        guard case .success(let directory) = await directory(of: registration.custodian),
            let member = directory.staff.first(where: { (try? Address($0.address)) == staff })
        else {
            return Person(address: staff, name: nil, role: nil, department: nil, hospital: hospital)
        }
        return Person(address: staff, name: member.name, role: member.role, department: member.department, hospital: hospital)
    }
}
