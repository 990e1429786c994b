import AsyncHTTPClient
import EthereumCore
import Foundation
import MDRSChain
import MDRSClient
import MDRSCore
import MDRSPostgres
import MDRSProtocol
import NIOCore
import Testing

/// People by name: a hospital names its staff off-chain, publishes the directory's SHA-256
/// on-chain, and a client anywhere turns a staff address into a name, refusing a directory that
/// does not hash to what the hospital published.
@Suite("Staff directory")
struct StaffDirectoryTests {
    @Test("a published directory names the hospital's staff; a forged one is refused; another hospital's staff are not named by it", .timeLimit(.minutes(6)))
    func namesBoundToCustodian() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let other = try await gateway.secondHospital()
            _ = try await d.send(d.hospital, MedicalAccessContract.setGateway(gateway.baseURL))
            let store = StaffDirectoryStore(client: gateway.postgres, logger: TestEnvironment.logger)
            try await store.set(d.doctor.address, name: "Dr. Ana Silva", role: .physician, department: "Cardiology")
            try await store.set(d.clerk.address, name: "Sam Okafor", role: .recordsClerk, department: nil)
            // St. Elsewhere also "names" a doctor County General registered: it must not count.
            try await store.set(other.doctor.address, name: "Dr. Impostor", role: .physician, department: nil)
            let (digest, body) = try await store.writeDocument(custodian: d.hospital.address, issuedAt: UInt64(Date().timeIntervalSince1970))

            // Not published on-chain yet: no name.
            let before = StaffDirectoryReader(contract: d.contract, httpClient: HTTPClient.shared)
            #expect(await before.person(d.doctor.address).name == nil)
            #expect(await before.person(d.doctor.address).display.hasSuffix("St. Elsewhere"))

            _ = try await d.send(d.hospital, MedicalAccessContract.setDirectory(digest))
            let reader = StaffDirectoryReader(contract: d.contract, httpClient: HTTPClient.shared)
            #expect(await reader.person(d.doctor.address).display == "Dr. Ana Silva, physician, Cardiology, St. Elsewhere")
            #expect(await reader.person(d.clerk.address).display == "Sam Okafor, records clerk, St. Elsewhere")
            #expect(await reader.person(other.doctor.address).name == nil, "a hospital names only the staff it registered")
            let served = try await HTTPClient.shared.execute(HTTPClientRequest(url: gateway.baseURL + "/v1/staff"), timeout: .seconds(10))
            #expect(Array(try await served.body.collect(upTo: 1 << 20).readableBytesView) == body)

            // The served directory altered after publication (a forged entry): refused whole.
            var forged = try JSONDecoder().decode(StaffDirectory.self, from: Data(body))
            forged = StaffDirectory(
                custodian: forged.custodian, issuedAt: forged.issuedAt,
                staff: forged.staff.map { $0.address == d.doctor.address.checksummed ? .init(address: $0.address, name: "Dr. Mallory", role: .physician, department: nil) : $0 })
            try await gateway.postgres.query(
                "UPDATE staff_directory_documents SET body = \(ByteBuffer(bytes: try JSONEncoder().encode(forged))) WHERE sha256 = \(ByteBuffer(bytes: digest.bytes))",
                logger: TestEnvironment.logger)
            let fresh = StaffDirectoryReader(contract: d.contract, httpClient: HTTPClient.shared)
            guard case .failure(let error) = await fresh.directory(of: d.hospital.address) else {
                Issue.record("a forged directory was accepted")
                return
            }
            #expect(error.description.contains("does not hash"), "\(error)")
            #expect(await fresh.person(d.doctor.address).name == nil)
        }
    }

    @Test(
        "another hospital's staff are named in this hospital's FHIR AuditEvents, from the directory that hospital published",
        .timeLimit(.minutes(6)))
    func foreignStaffInAuditEvents() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let other = try await gateway.secondHospital()
            let keyPath = d.path("county-general.key")
            try SecretFile.create(keyPath, contents: Array(other.hospital.secretHex.utf8))
            // County General's own gateway (its key, its database) publishes its doctor's name.
            try await LiveGateway.run(deployment: d, adjust: { $0.custodianKeyFile = keyPath }) { county in
                let store = StaffDirectoryStore(client: county.postgres, logger: TestEnvironment.logger)
                try await store.set(other.doctor.address, name: "Dr. Maya Patel", role: .physician, department: "Internal Medicine")
                let (digest, _) = try await store.writeDocument(custodian: other.hospital.address, issuedAt: UInt64(Date().timeIntervalSince1970))
                _ = try await d.send(other.hospital, MedicalAccessContract.setGateway(county.baseURL))
                _ = try await d.send(other.hospital, MedicalAccessContract.setDirectory(digest))

                // Her access to a record St. Elsewhere holds, as St. Elsewhere's auditor reads it.
                let stored = try await gateway.store(Array("a study".utf8), contentType: "text/plain")
                let token = try await d.grant(try Bytes32(stored.recordId), to: other.doctor)
                let response = try await gateway.client(other.doctor).fetch(
                    token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
                _ = try await response.body.collect(upTo: 1 << 20)
                #expect(response.status == .ok)
                let auditor = try await gateway.client(d.auditor)
                let bundle = try await auditor.fhirAuditEvents("/fhir/AuditEvent?agent=\(other.doctor.address.checksummed)")
                let agents = (bundle.entry ?? []).flatMap { $0.resource.agent }
                let her = agents.first { $0.who?.identifier?.value == other.doctor.address.checksummed }
                #expect(her?.who?.display == "Dr. Maya Patel, physician, Internal Medicine, County General", "\(agents)")
            }
        }
    }
}
