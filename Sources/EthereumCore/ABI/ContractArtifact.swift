import Foundation

/// A compiled contract as the project's compile script writes it: ABI, creation bytecode and
/// the compiler that produced them.
public struct ContractArtifact: Sendable {
    public let name: String
    public let compiler: String
    public let abi: ContractABI
    public let bytecode: [UInt8]

    /// Reads an artifact JSON file (`contractName`, `compiler`, `abi`, `bytecode`).
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ABIError(.invalidType, "cannot read contract artifact \(url.path): \(error.localizedDescription)")
        }
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let abi = object["abi"], let bytecode = object["bytecode"] as? String
        else {
            throw ABIError(.invalidType, "\(url.path) is not a contract artifact (needs abi and bytecode)")
        }
        self.name = object["contractName"] as? String ?? url.deletingPathExtension().lastPathComponent
        self.compiler = object["compiler"] as? String ?? "unknown"
        self.abi = try ContractABI(json: try JSONSerialization.data(withJSONObject: abi))
        self.bytecode = try Hex.decode(bytecode)
    }

}
