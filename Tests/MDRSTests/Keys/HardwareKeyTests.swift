import AsyncHTTPClient
import BigInt
import CPKCS11
import Crypto
import EthereumCore
import EthereumRPC
import Foundation
import MDRSChain
import MDRSCore
import MDRSPostgres
import MDRSServer
import NIOCore
@testable import PKCS11
import PostgresNIO
import Testing

/// The master key and the custodian's signing key in a PKCS#11 token (Debian's SoftHSM2): what
/// the keys do there, the gateway's whole story with both, moving data keys from a file key to a
/// token key, and the errors of a wrong PIN, a missing key and a missing module.
@Suite("Keys in a PKCS#11 token (SoftHSM2)")
struct HardwareKeyTests {
    @Test("a master key in the token wraps and unwraps data keys inside it; it cannot be read out; a tampered wrap is refused")
    func masterKeyInToken() throws {
        let store = try SoftHSM.store()
        let uri = SoftHSM.uri("master")
        let created = try store.loader.newMasterKey(uri)
        let reopened = try store.loader.masterKey(uri)
        #expect(created.id == reopened.id, "the id is derived from the key, the same each time")
        #expect(created.location == uri)

        let recordId = Bytes32.random()
        let dataKey = SymmetricKey(size: .bits256)
        let wrapped = try created.wrap(dataKey, recordId: recordId)
        #expect(wrapped.count == 12 + 32 + 16, "nonce, key and tag: the form a file key writes")
        let unwrapped = try reopened.unwrap(wrapped, recordId: recordId)
        #expect(unwrapped.withUnsafeBytes { Array($0) } == dataKey.withUnsafeBytes { Array($0) })
        #expect(throws: GatewayError.self) { try reopened.unwrap(wrapped, recordId: .random()) }
        var tampered = wrapped
        tampered[20] ^= 1
        let refusal = #expect(throws: GatewayError.self) { try reopened.unwrap(tampered, recordId: recordId) }
        #expect(refusal?.code == .integrityFailure, "\(String(describing: refusal))")

        // The key's value is not readable: sensitive and never extractable.
        let uriParts = try PKCS11URI(uri)
        let key = try PKCS11SecretKey(token: try PKCS11Token.open(modulePath: SoftHSM.modulePath, label: uriParts.token, pin: SoftHSM.pin), label: uriParts.object)
        let handle = try key.token.object(CK_OBJECT_CLASS(CKO_SECRET_KEY), label: key.label, kind: "secret key")
        #expect(try key.token.attribute(CKA_EXTRACTABLE, of: handle, "extractable") == [0])
        #expect(try key.token.attribute(CKA_SENSITIVE, of: handle, "sensitive") == [1])
        #expect(throws: PKCS11Error.self) { try key.token.attribute(CKA_VALUE, of: handle, "the value") }

        // A key that can be read out of the token is refused: it gives none of what an HSM is for.
        let exposed = "exposed-\(UUID().uuidString.prefix(8))"
        var template = PKCS11SecretKey.keyTemplate(label: exposed)
        template.set(CKA_SENSITIVE, bool: false)
        template.set(CKA_EXTRACTABLE, bool: true)
        try PKCS11SecretKey.makeKey(in: key.token, template, label: exposed)
        let exposedRefusal = #expect(throws: GatewayError.self) { try store.loader.masterKey("pkcs11:token=\(SoftHSM.token);object=\(exposed)") }
        #expect(exposedRefusal?.message.contains("can be read out of the token") == true, "\(String(describing: exposedRefusal))")

        // Another key has another id; a label is never reused.
        let other = try store.loader.newMasterKey(SoftHSM.uri("master"))
        #expect(other.id != created.id)
        #expect(throws: PKCS11Error.self) { try PKCS11SecretKey.generate(in: key.token, label: uriParts.object) }
    }

    @Test("the signing key in the token signs as a key in memory does: low-s, its address recovers; its transactions verify on the dev chain")
    func signingKeyInToken() async throws {
        let store = try SoftHSM.store()
        let uri = SoftHSM.uri("custodian")
        let created = try store.loader.newSigningKey(uri)
        let signer = try store.loader.signingKey(uri)
        #expect(signer.address == created.address)
        for _ in 0..<64 {
            let digest = Bytes32.random().bytes
            let signature = try signer.sign(digest: digest)
            #expect(signature.isLowS)
            #expect(try Address(recoveringFrom: signature, digest: digest) == signer.address)
        }

        // A transaction signed in the token: the node recovers the token key's address as sender.
        let client = try DevChain.client()
        try await DevChain.fund(signer.address, on: client)
        let submitter = try await TransactionSubmitter(client: client, key: signer)
        let receipt = try await submitter.submit(to: PrivateKey.random().address, data: [], value: 1)
        #expect(receipt.succeeded)
        let transaction = try await client.rpc.call("eth_getTransactionByHash", [.string(receipt.transactionHash.hex)])
        #expect(try Address(try #require(transaction["from"]?.stringValue)) == signer.address)
    }

    @Test("the whole story with both keys in the token: store, grant, fetch, the on-chain log written by the token's key")
    func storyWithKeysInToken() async throws {
        let store = try SoftHSM.store()
        let signingURI = SoftHSM.uri("custodian")
        let masterURI = SoftHSM.uri("master")
        let custodian = try store.loader.newSigningKey(signingURI)
        _ = try store.loader.newMasterKey(masterURI)
        let deployment = try await Deployment.make(custodian: custodian)
        try await LiveGateway.run(
            deployment: deployment,
            adjust: { configuration in
                configuration.custodianKeyFile = signingURI
                configuration.masterKeyFile = masterURI
                configuration.pkcs11 = store.settings
            }
        ) { gateway in
            let readiness = try await gateway.client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil)
            #expect(String(buffer: readiness.body).contains("\"keyStore\":\"ok\""), "\(String(buffer: readiness.body))")
            let record = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let stored = try await gateway.store(record)
            let token = try await deployment.grant(try Bytes32(stored.recordId), to: deployment.doctor)
            let file = deployment.path("fetched-\(UUID().uuidString)")
            let fetched = try await gateway.client(deployment.doctor).fetch(
                token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment, to: file)
            #expect(fetched.sha256 == Bytes32.sha256(record))
            let requestId = try #require(fetched.requestId)
            try await eventually("the access is confirmed on-chain") { try await gateway.accessRow(requestId)?.state == "confirmed" }
            // The log entry's transaction came from the token's key: the node recovered it.
            let rows = try await gateway.postgres.query(
                "SELECT tx_hash FROM access_log WHERE request_id = \(ByteBuffer(bytes: try Bytes32(requestId).bytes))",
                logger: TestEnvironment.logger)
            var hash: Bytes32?
            for try await buffer in rows.decode(ByteBuffer.self) { hash = try Bytes32(bytes: Array(buffer.readableBytesView)) }
            let transaction = try await deployment.contract.client.rpc.call("eth_getTransactionByHash", [.string(try #require(hash).hex)])
            #expect(try Address(try #require(transaction["from"]?.stringValue)) == custodian.address)

            // The master key gone from the token (an operator's mistake, a token swapped): the next
            // fetch is an outage, 503 key_store_unavailable, and nothing is served.
            let uri = try PKCS11URI(masterURI)
            let hsm = try PKCS11Token.open(modulePath: SoftHSM.modulePath, label: uri.token, pin: SoftHSM.pin)
            let handle = try hsm.object(CK_OBJECT_CLASS(CKO_SECRET_KEY), label: uri.object, kind: "secret key", again: true)
            try hsm.withSession { session, f in try hsm.check(f.C_DestroyObject!(session, handle), "destroying the master key") }
            let again = try await deployment.grant(try Bytes32(stored.recordId), to: deployment.doctor)
            let refused = try await gateway.client(deployment.doctor).fetch(
                token: again, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            #expect(refused.status == .serviceUnavailable)
            let body = String(buffer: try await refused.body.collect(upTo: 1 << 16))
            #expect(body.contains("\"code\":\"key_store_unavailable\""), "\(body)")
            #expect(refused.headers.first(name: "Retry-After") == "5")
        }
    }

    @Test("mdrs keys rotate moves data keys from a file key to a token key; records still open once the file key is gone")
    func rotationFromFileToToken() async throws {
        let store = try SoftHSM.store()
        let masterURI = SoftHSM.uri("master")
        let tokenKey = try store.loader.newMasterKey(masterURI)
        let deployment = try await Deployment.make()
        let fileKey = try MasterKey(contentsOfFile: deployment.path("master.key"))
        let addressKeyFile = deployment.path("retired-address.key")
        try fileKey.addressOnly.write(toFile: addressKeyFile)
        try await TestEnvironment.withDatabase { postgres, database in
            var configuration = try deployment.configuration(database: database)
            // Before: the file key.
            let app = try await buildApplication(configuration, logger: TestEnvironment.logger)
            let (stored, record) = try await app.test(.live) { client in
                let gateway = LiveGateway(
                    deployment: deployment, baseURL: "http://127.0.0.1:\(try #require(client.port))", client: client, database: database,
                    postgres: postgres)
                try await gateway.waitUntilReady()
                let record = Array("a discharge letter, re-wrapped".utf8)
                return (try await gateway.store(record), record)
            }
            // Rotate: the token key current, the file key previous.
            let keyring = MasterKeyring(current: tokenKey, previous: [fileKey])
            let progress = try await RecordStore(client: postgres, keyring: keyring, logger: TestEnvironment.logger).rotateMasterKey()
            #expect(progress.rewrapped >= 1)
            #expect(progress.remaining == 0)
            // After: the token key alone, the file key's address key kept for addresses sealed under it.
            configuration.masterKeyFile = masterURI
            configuration.previousMasterKeyFiles = []
            configuration.retiredAddressKeyFiles = [addressKeyFile]
            configuration.pkcs11 = store.settings
            try FileManager.default.removeItem(atPath: deployment.path("master.key"))
            let rotated = try await buildApplication(configuration, logger: TestEnvironment.logger)
            try await rotated.test(.live) { client in
                let gateway = LiveGateway(
                    deployment: deployment, baseURL: "http://127.0.0.1:\(try #require(client.port))", client: client, database: database,
                    postgres: postgres)
                try await gateway.waitUntilReady()
                let token = try await deployment.grant(try Bytes32(stored.recordId), to: deployment.doctor)
                let response = try await gateway.client(deployment.doctor).fetch(
                    token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
                #expect(response.status == .ok)
                let body = try await response.body.collect(upTo: 1 << 20)
                #expect(Array(body.readableBytesView) == record)
            }
        }
    }

    @Test("a wrong PIN, a missing key, a missing module: the gateway does not start, and says why")
    func refusals() async throws {
        let store = try SoftHSM.store()
        let deployment = try await Deployment.make()
        try await TestEnvironment.withDatabase { _, database in
            let base = try deployment.configuration(database: database)
            func startFailure(_ adjust: (inout GatewayConfiguration) -> Void) async -> String {
                var configuration = base
                adjust(&configuration)
                do {
                    _ = try await buildApplication(configuration, logger: TestEnvironment.logger)
                    return "started"
                } catch {
                    return "\(error)"
                }
            }
            let wrongPin = await startFailure { configuration in
                configuration.masterKeyFile = SoftHSM.uri("master", token: SoftHSM.guardedToken)
                configuration.pkcs11 = .init(modulePath: SoftHSM.modulePath, pinFile: store.wrongPinFile)
            }
            #expect(wrongPin.contains("refused the PIN") && wrongPin.contains("CKR_PIN_INCORRECT"), "\(wrongPin)")

            // A wrong PIN for a token this process is logged in to already (the module itself would
            // answer "already logged in"), also through another spelling of the module's path.
            _ = try store.loader.newMasterKey(SoftHSM.uri("master"))
            let link = store.directory.appendingPathComponent("module-\(UUID().uuidString).so").path
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: SoftHSM.modulePath)
            for module in [SoftHSM.modulePath, link] {
                let afterLogin = await startFailure { configuration in
                    configuration.masterKeyFile = SoftHSM.uri("master")
                    configuration.pkcs11 = .init(modulePath: module, pinFile: store.wrongPinFile)
                }
                #expect(afterLogin.contains("token '\(SoftHSM.token)' refused the PIN"), "\(module): \(afterLogin)")
            }

            let missingKey = await startFailure { configuration in
                configuration.masterKeyFile = SoftHSM.uri("no-such-master")
                configuration.pkcs11 = store.settings
            }
            #expect(missingKey.contains("holds no secret key labelled 'no-such-master"), "\(missingKey)")

            let missingSigningKey = await startFailure { configuration in
                configuration.custodianKeyFile = SoftHSM.uri("no-such-signer")
                configuration.pkcs11 = store.settings
            }
            #expect(missingSigningKey.contains("holds no private key labelled 'no-such-signer"), "\(missingSigningKey)")

            // The module's file gone (an HSM client uninstalled, a path mistyped).
            let copy = store.directory.appendingPathComponent("unplugged-\(UUID().uuidString).so").path
            try FileManager.default.copyItem(atPath: SoftHSM.modulePath, toPath: copy)
            try FileManager.default.removeItem(atPath: copy)
            let unplugged = await startFailure { configuration in
                configuration.masterKeyFile = SoftHSM.uri("master")
                configuration.pkcs11 = .init(modulePath: copy, pinFile: store.pinFile)
            }
            #expect(unplugged.contains("cannot load the PKCS#11 module \(copy)"), "\(unplugged)")

            let noModule = await startFailure { configuration in
                configuration.masterKeyFile = SoftHSM.uri("master")
                configuration.pkcs11 = nil
            }
            #expect(noModule.contains("no module is configured"), "\(noModule)")

            let pinInURI = await startFailure { configuration in
                configuration.masterKeyFile = "pkcs11:token=\(SoftHSM.token);object=master?pin-value=\(SoftHSM.pin)"
                configuration.pkcs11 = store.settings
            }
            #expect(pinInURI.contains("a PIN does not belong in a pkcs11: URI"), "\(pinInURI)")
            #expect(!pinInURI.contains(SoftHSM.pin), "the message never repeats the PIN")
        }
    }
}
