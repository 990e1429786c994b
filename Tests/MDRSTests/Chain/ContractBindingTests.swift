import EthereumCore
import Foundation
import MDRSChain
import Testing

/// The Swift bindings say what the compiled contract says: no event or error is matched by a
/// name the contract does not have.
@Suite("Contract bindings")
struct ContractBindingTests {
    static func artifact() throws -> ContractArtifact {
        try ContractArtifact(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("deploy/contract/MedicalAccess.json"))
    }

    @Test("every custom error of the contract has a case, and every case is a custom error of the contract")
    func errors() throws {
        let names = Set(try Self.artifact().abi.errors.map(\.name))
        #expect(Set(MedicalAccessError.allCases.map(\.rawValue)) == names)
        #expect(Set(MedicalAccessABI.errors.map(\.name)) == names)
    }

    @Test("the events the gateway decodes have the contract's signatures")
    func events() throws {
        let abi = try Self.artifact().abi
        for event in MedicalAccessABI.events {
            let compiled = try #require(abi.events.first { $0.name == event.name }, "\(event.name) is not in the artifact")
            #expect(compiled.topic == event.topic, "\(event.name)")
        }
    }
}
