import ArgumentParser
import EthereumCore
import EthereumRPC
import Foundation
import MDRSChain
import MDRSCore
import MDRSProtocol

/// `mdrs bench gas`: the gas of `logAccess` for batches of 1, 100 and 500 served entries, and
/// how fast the chain takes them, measured on a custodian of its own (so that the numbers of a
/// running gateway's log are left alone).
struct LogGas: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gas",
        abstract: "Register a custodian, a doctor and a grant, then log batches of 1, 100 and 500 entries; print gas per entry.",
        discussion: "Every key must be funded; the admin key must be the contract's admin. Meant for the dev chain.")

    @OptionGroup var chain: ChainOptions
    @Option(help: "The contract admin's key file.") var admin: String
    @Option(help: "A key file for the custodian this bench registers (not a gateway's).") var custodian: String
    @Option(help: "A key file for the doctor it registers.") var doctor: String
    @Option(help: "A key file for the patient who grants.") var patient: String
    @Option(help: "Batch sizes to log, in order.") var sizes: [Int] = [1, 100, 500]

    func validate() throws {
        guard !sizes.isEmpty, sizes.allSatisfy({ (1...500).contains($0) }) else {
            throw ValidationError("--sizes takes batch sizes of 1 to 500 entries (the contract's bound)")
        }
    }

    func run() async throws {
        let load = { (path: String) in try PrivateKey(hex: try SecretFile.readText(path)) }
        let (admin, custodian, doctor, patient) = (try load(admin), try load(self.custodian), try load(self.doctor), try load(self.patient))
        try await send(chain, key: admin, try MedicalAccessContract.registerCustodian(custodian.address, name: "Gas bench"), nil)
        try await send(chain, key: custodian, try MedicalAccessContract.registerStaff(doctor.address), nil)
        let recordId = Bytes32.random()
        try await send(chain, key: custodian, try MedicalAccessContract.anchorRecord(RecordAnchorInput(
            recordId: recordId, patient: patient.address, contentHash: Bytes32.random(), encryptedAddress: Array(repeating: 0xAB, count: 89))), nil)
        let now = try await chain.withClient { client, _ in try await client.block(.latest)?.timestamp ?? UInt64(Date().timeIntervalSince1970) }
        let receipt = try await send(chain, key: patient, try MedicalAccessContract.grant(staff: doctor.address, recordId: recordId, expiresAt: now + 3600), nil)
        let token = try grantedToken(in: receipt, of: try chain.resolvedContract())

        var next: UInt64 = 1
        var lines = [String]()
        for size in sizes {
            let entries = (0..<size).map { _ in
                AccessEntry(
                    requestId: Bytes32.random(), token: token, recordId: recordId, staff: doctor.address,
                    purpose: PurposeOfUse.treatment.rawValue, outcome: 1, accessedAt: UInt64(Date().timeIntervalSince1970),
                    commitment: Bytes32.random())
            }
            let started = ContinuousClock.now
            let logged = try await send(chain, key: custodian, try MedicalAccessContract.logAccess(firstSequence: next, entries), nil)
            let seconds = (ContinuousClock.now - started).seconds
            next += UInt64(size)
            lines.append(String(
                format: "%4d entries: %9d gas, %6d per entry; sent and mined in %4.0f ms (%5.0f accesses/s)",
                size, Int(logged.gasUsed), Int(logged.gasUsed) / size, seconds * 1000, Double(size) / seconds))
        }
        print("logAccess gas on this chain (one grant, served entries):")
        lines.forEach { print("  " + $0) }
    }
}
