import ArgumentParser
import Crypto
import EthereumCore
import Foundation
import MDRSCore

/// `mdrs bench keys`: what a signature and a data-key unwrap cost with keys in a PKCS#11 token,
/// beside the same operations with keys in memory (from files), in one run.
struct KeyOperations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Time signatures and data-key wraps/unwraps with keys in a PKCS#11 token and with keys in files.",
        discussion: """
            The token's keys are named by --signing-key and --master-key (pkcs11: URIs; create them with \
            `mdrs keys new --pkcs11` and `mdrs keys new-master --pkcs11`); the file keys are made fresh in memory.
            """)

    @Option(help: "A secp256k1 key pair in the token: a pkcs11: URI.") var signingKey: String
    @Option(help: "An AES-256 master key in the token: a pkcs11: URI.") var masterKey: String
    @Option(help: "Operations of each kind.") var count = 2000
    @OptionGroup var pkcs11: PKCS11Options

    func run() async throws {
        let loader = pkcs11.loader()
        let tokenSigner = try loader.signingKey(signingKey)
        let tokenMaster = try loader.masterKey(masterKey)
        let fileSigner = PrivateKey.random()
        let fileMaster = try MasterKey(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
        let digests = (0..<count).map { _ in Bytes32.random().bytes }
        let recordId = Bytes32.random()
        let dataKey = SymmetricKey(size: .bits256)

        func measure(_ body: () throws -> Void) rethrows -> Double {
            let start = ContinuousClock.now
            try body()
            let elapsed = ContinuousClock.now - start
            return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * 1e6 / Double(count)
        }
        func line(_ what: String, file: Double, token: Double) {
            print(
                "\(what): file \(String(format: "%.1f", file)) µs, token \(String(format: "%.1f", token)) µs "
                    + "(x\(String(format: "%.1f", token / file)))")
        }
        let signFile = try measure { for digest in digests { _ = try fileSigner.sign(digest: digest) } }
        let signToken = try measure { for digest in digests { _ = try tokenSigner.sign(digest: digest) } }
        line("sign (secp256k1, low-s, recovery id)", file: signFile, token: signToken)
        let fileWrapped = try fileMaster.wrap(dataKey, recordId: recordId)
        let tokenWrapped = try tokenMaster.wrap(dataKey, recordId: recordId)
        let wrapFile = try measure { for _ in 0..<count { _ = try fileMaster.wrap(dataKey, recordId: recordId) } }
        let wrapToken = try measure { for _ in 0..<count { _ = try tokenMaster.wrap(dataKey, recordId: recordId) } }
        line("wrap a data key (AES-256-GCM)", file: wrapFile, token: wrapToken)
        let unwrapFile = try measure { for _ in 0..<count { _ = try fileMaster.unwrap(fileWrapped, recordId: recordId) } }
        let unwrapToken = try measure { for _ in 0..<count { _ = try tokenMaster.unwrap(tokenWrapped, recordId: recordId) } }
        line("unwrap a data key (AES-256-GCM)", file: unwrapFile, token: unwrapToken)
        print("\(count) operations of each kind, one thread; the token at \(loader.pkcs11?.modulePath ?? "?")")
    }
}
