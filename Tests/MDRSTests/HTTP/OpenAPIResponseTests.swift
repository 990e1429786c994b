import EthereumCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import MDRSChain
import MDRSProtocol
import NIOCore
import MDRSPostgres
import Testing

/// Real answers of a running gateway, for every route and its usual statuses, checked against
/// `docs/openapi.json` by `Tests/tools/validate_openapi.py` (jsonschema, with the document's
/// `additionalProperties: false`): a field the server sends and the document does not name
/// fails, and so does a documented field the server leaves out when it is required.
@Suite("OpenAPI document against real answers")
struct OpenAPIResponseTests {
    final class Samples: @unchecked Sendable {
        var items = [[String: Any]]()

        func add(_ method: HTTPRequest.Method, _ template: String, _ response: TestResponse) {
            let contentType = response.headers[.contentType] ?? ""
            var body: Any = NSNull()
            if contentType.hasPrefix("application/json") || contentType.hasPrefix("application/fhir+json") {
                body = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView), options: [.fragmentsAllowed])) ?? "not JSON"
            }
            var headers = [String: String]()
            for field in response.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            items.append([
                "method": method.rawValue, "path": template, "status": Int(response.status.code), "contentType": contentType,
                "headers": headers, "body": body,
            ])
        }
    }

    static func fields(_ headers: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        return fields
    }

    @Test("every route's answers validate against the document", .timeLimit(.minutes(6)))
    func answersMatchDocument() async throws {
        let samples = Samples()
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let api = gateway.client
            samples.add(.get, "/v1/info", try await api.execute(uri: "/v1/info", method: .get, headers: [:], body: nil))
            // The staff directory: none published yet, then one.
            samples.add(.get, "/v1/staff", try await api.execute(uri: "/v1/staff", method: .get, headers: [:], body: nil))
            let directory = StaffDirectoryStore(client: gateway.postgres, logger: TestEnvironment.logger)
            try await directory.set(d.doctor.address, name: "Dr. Ana Silva", role: .physician, department: "Cardiology")
            try await directory.set(d.clerk.address, name: "Sam Okafor", role: .recordsClerk, department: nil)
            _ = try await directory.writeDocument(custodian: d.hospital.address, issuedAt: 1_800_000_000)
            samples.add(.get, "/v1/staff", try await api.execute(uri: "/v1/staff", method: .get, headers: [:], body: nil))
            samples.add(.get, "/health/live", try await api.execute(uri: "/health/live", method: .get, headers: [:], body: nil))
            samples.add(.get, "/health/ready", try await api.execute(uri: "/health/ready", method: .get, headers: [:], body: nil))
            samples.add(.get, "/metrics", try await api.execute(uri: "/metrics", method: .get, headers: [:], body: nil))

            // Stores: accepted, a wrong hash, a stranger, missing headers.
            func store(_ key: PrivateKey, _ body: [UInt8], declared: Bytes32? = nil) async throws -> TestResponse {
                let client = try await gateway.client(key)
                let sha256 = declared ?? Bytes32.sha256(body)
                var headers = try client.signedHeaders { nonce, issuedAt in
                    SignedRequest.store(
                        patient: d.patient.address, contentType: "text/plain", contentSHA256: sha256, nonce: nonce, issuedAt: issuedAt,
                        domain: SigningDomain(chainId: d.chainId, contract: d.contract.address, custodian: d.hospital.address))
                }
                headers.add(name: SignedRequest.Header.patient, value: d.patient.address.checksummed)
                headers.add(name: SignedRequest.Header.contentSHA256, value: sha256.hex)
                headers.add(name: "Content-Type", value: "text/plain")
                return try await api.execute(
                    uri: "/v1/records", method: .post, headers: Self.fields(headers.map { ($0.name, $0.value) }),
                    body: ByteBuffer(bytes: body))
            }
            let body = Array("a record for the document".utf8)
            let created = try await store(d.clerk, body)
            samples.add(.post, "/v1/records", created)
            samples.add(.post, "/v1/records", try await store(d.clerk, body, declared: Bytes32.random()))
            samples.add(.post, "/v1/records", try await store(d.patient, body))
            samples.add(.post, "/v1/records", try await api.execute(uri: "/v1/records", method: .post, headers: [:], body: ByteBuffer(bytes: body)))
            let stored = try JSONDecoder().decode(StoreResponse.self, from: Data(created.body.readableBytesView))

            // Anchors: one that waits or is confirmed, an unknown one, a malformed id.
            let anchor = "/v1/records/{recordId}/anchor"
            samples.add(.get, anchor, try await api.execute(uri: "/v1/records/\(stored.recordId)/anchor", method: .get, headers: [:], body: nil))
            try await eventually("the anchor is confirmed") {
                let status = try await api.execute(uri: "/v1/records/\(stored.recordId)/anchor", method: .get, headers: [:], body: nil)
                return String(buffer: status.body).contains("\"confirmed\"")
            }
            samples.add(.get, anchor, try await api.execute(uri: "/v1/records/\(stored.recordId)/anchor", method: .get, headers: [:], body: nil))
            samples.add(.get, anchor, try await api.execute(uri: "/v1/records/\(Bytes32.random().hex)/anchor", method: .get, headers: [:], body: nil))
            samples.add(.get, anchor, try await api.execute(uri: "/v1/records/nonsense/anchor", method: .get, headers: [:], body: nil))

            // Fetches: whole, a range, an unsatisfiable range, and refusals.
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)
            let fetch = "/v1/access/{address}"
            func send(_ builder: FetchRequestBuilder, range: String? = nil) async throws -> TestResponse {
                var headers = try builder.headers()
                if let range { headers[.range] = range }
                return try await api.execute(uri: builder.uri, method: .get, headers: headers, body: nil)
            }
            let doctor = FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: stored.encryptedAddress)
            samples.add(.get, fetch, try await send(doctor))
            samples.add(.get, fetch, try await send(FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: stored.encryptedAddress), range: "bytes=0-3"))
            samples.add(.get, fetch, try await send(FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: stored.encryptedAddress), range: "bytes=9999-"))
            samples.add(.get, fetch, try await send(FetchRequestBuilder(deployment: d, key: d.doctor2, token: token, encryptedAddress: stored.encryptedAddress)))
            samples.add(.get, fetch, try await send(FetchRequestBuilder(deployment: d, key: d.doctor, token: Bytes32.random(), encryptedAddress: stored.encryptedAddress)))
            samples.add(.get, fetch, try await send(FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: "AAAA")))
            var stale = FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: stored.encryptedAddress)
            stale.issuedAt -= 3600
            samples.add(.get, fetch, try await send(stale))
            samples.add(.get, fetch, try await send(doctor))  // the same nonce again
            var unsigned = doctor
            unsigned.omitSignature = true
            samples.add(.get, fetch, try await send(unsigned))

            // Break-glass: a release in a declared emergency, so that the log, the history and
            // the auditor's queue hold one.
            try await d.send(d.hospital, MedicalAccessContract.setEmergencyStaff(d.doctor.address, allowed: true))
            let emergency = try #require(try await EmergencyAccessTests.declare(d, d.doctor, recordId: try Bytes32(stored.recordId)).id)
            let released = try await EmergencyAccessTests.fetch(gateway, d.doctor, id: emergency, encryptedAddress: stored.encryptedAddress)
            #expect(released.status == 200)

            // Audit: the log, the check, a bad parameter, a stranger.
            try await eventually("the accesses are on-chain") {
                try await gateway.accessRows().allSatisfy { $0.state == "confirmed" || $0.state == "local_only" }
            }
            func audit(_ key: PrivateKey, _ target: String) async throws -> TestResponse {
                let client = try await gateway.client(key)
                let headers = try client.signedHeaders { nonce, issuedAt in
                    SignedRequest.audit(
                        query: target, nonce: nonce, issuedAt: issuedAt, domain: SigningDomain(chainId: d.chainId, contract: d.contract.address, custodian: d.hospital.address))
                }
                return try await api.execute(uri: target, method: .get, headers: Self.fields(headers.map { ($0.name, $0.value) }), body: nil)
            }
            samples.add(.get, "/v1/audit/accesses", try await audit(d.auditor, "/v1/audit/accesses"))
            samples.add(.get, "/v1/audit/accesses", try await audit(d.auditor, "/v1/audit/accesses?record=\(stored.recordId)"))
            let first = try await audit(d.auditor, "/v1/audit/accesses?limit=1")
            samples.add(.get, "/v1/audit/accesses", first)
            let next = try #require(try JSONDecoder().decode(AuditReport.self, from: Data(first.body.readableBytesView)).next)
            samples.add(.get, "/v1/audit/accesses", try await audit(d.auditor, "/v1/audit/accesses?limit=1&after=\(next)"))
            samples.add(.get, "/v1/audit/accesses", try await audit(d.auditor, "/v1/audit/accesses?limit=1001"))
            samples.add(.get, "/v1/audit/accesses", try await audit(d.doctor, "/v1/audit/accesses"))
            samples.add(.get, "/v1/audit/check", try await audit(d.auditor, "/v1/audit/check"))
            samples.add(.get, "/v1/audit/check", try await audit(d.auditor, "/v1/audit/check?x=1"))
            samples.add(.get, "/v1/audit/check", try await audit(d.auditor, "/v1/audit/check?restart=true"))

            // The emergencies: the auditor's queue, a review, a second one, refusals.
            samples.add(.get, "/v1/emergencies", try await audit(d.auditor, "/v1/emergencies"))
            samples.add(.get, "/v1/emergencies", try await audit(d.auditor, "/v1/emergencies?reviewed=false"))
            samples.add(.get, "/v1/emergencies", try await audit(d.auditor, "/v1/emergencies?x=1"))
            samples.add(.get, "/v1/emergencies", try await audit(d.doctor, "/v1/emergencies"))
            func review(_ key: PrivateKey, _ id: Bytes32, note: String) async throws -> TestResponse {
                let client = try await gateway.client(key)
                var headers = try client.signedHeaders { nonce, issuedAt in
                    SignedRequest.emergencyReview(
                        emergency: id, verdict: 1, note: note, nonce: nonce, issuedAt: issuedAt,
                        domain: SigningDomain(chainId: d.chainId, contract: d.contract.address, custodian: d.hospital.address))
                }
                headers.add(name: "Content-Type", value: "application/json")
                let body = try JSONEncoder().encode(["verdict": "justified", "note": note])
                return try await api.execute(
                    uri: "/v1/emergencies/\(id.hex)/review", method: .post, headers: Self.fields(headers.map { ($0.name, $0.value) }),
                    body: ByteBuffer(bytes: body))
            }
            let template = "/v1/emergencies/{emergency}/review"
            samples.add(.post, template, try await review(d.doctor, emergency, note: "not mine to review"))
            samples.add(.post, template, try await review(d.auditor, .random(), note: "no such emergency"))
            samples.add(.post, template, try await review(d.auditor, emergency, note: "Justified: unconscious on arrival."))
            samples.add(.post, template, try await review(d.auditor, emergency, note: "a second review"))
            samples.add(.get, "/v1/emergencies", try await audit(d.auditor, "/v1/emergencies?reviewed=true"))

            // A patient's history: the patient, an auditor, a doctor, a bad parameter.
            func history(_ key: PrivateKey, _ target: String) async throws -> TestResponse {
                let client = try await gateway.client(key)
                let headers = try client.signedHeaders { nonce, issuedAt in
                    SignedRequest.patient(
                        d.patient.address, query: target, nonce: nonce, issuedAt: issuedAt,
                        domain: SigningDomain(chainId: d.chainId, contract: d.contract.address, custodian: d.hospital.address))
                }
                return try await api.execute(uri: target, method: .get, headers: Self.fields(headers.map { ($0.name, $0.value) }), body: nil)
            }
            let own = "/v1/patients/\(d.patient.address.checksummed)/accesses"
            samples.add(.get, "/v1/patients/{patient}/accesses", try await history(d.patient, own))
            samples.add(.get, "/v1/patients/{patient}/accesses", try await history(d.auditor, own))
            samples.add(.get, "/v1/patients/{patient}/accesses", try await history(d.doctor, own))
            samples.add(.get, "/v1/patients/{patient}/accesses", try await history(d.patient, own + "?x=1"))
            samples.add(.get, "/v1/patients/{patient}/accesses", try await history(d.patient, own + "?limit=1"))

            // FHIR AuditEvent: an auditor's search, a page with a next link, the patient's own,
            // a bad parameter, a stranger.
            let fhir = "/fhir/AuditEvent"
            samples.add(.get, fhir, try await audit(d.auditor, fhir))
            samples.add(.get, fhir, try await audit(d.auditor, fhir + "?_count=1&date=ge2020-01-01"))
            samples.add(.get, fhir, try await history(d.patient, fhir + "?patient=\(d.patient.address.checksummed)"))
            samples.add(.get, fhir, try await audit(d.auditor, fhir + "?subtype=read"))
            samples.add(.get, fhir, try await audit(d.doctor, fhir))

            // Documents: a store with one, the patient's list, one record by the patient and by
            // the grantee, FHIR both ways, and refusals.
            let documented = try await gateway.client(d.clerk).store(
                body: .bytes(ByteBuffer(bytes: body)), sha256: Bytes32.sha256(body), patient: d.patient.address, contentType: "text/plain",
                document: DocumentMetadata(title: "Lab panel", type: .laboratoryReport, serviceDate: "2026-12-01", author: "Dr. Ana Silva", fileName: "panel.txt"))
            func document(_ key: PrivateKey, _ target: String, recordId: Bytes32, token: Bytes32?) async throws -> TestResponse {
                let client = try await gateway.client(key)
                var headers = try client.signedHeaders { nonce, issuedAt in
                    SignedRequest.document(
                        recordId: recordId, token: token ?? .zero, nonce: nonce, issuedAt: issuedAt,
                        domain: SigningDomain(chainId: d.chainId, contract: d.contract.address, custodian: d.hospital.address))
                }
                if let token { headers.add(name: SignedRequest.Header.token, value: token.hex) }
                return try await api.execute(uri: target, method: .get, headers: Self.fields(headers.map { ($0.name, $0.value) }), body: nil)
            }
            let documents = "/v1/patients/\(d.patient.address.checksummed)/documents"
            samples.add(.get, "/v1/patients/{patient}/documents", try await history(d.patient, documents))
            samples.add(.get, "/v1/patients/{patient}/documents", try await history(d.doctor, documents))
            samples.add(.get, "/v1/patients/{patient}/documents", try await history(d.patient, documents + "?x=1"))
            let documentedId = try Bytes32(documented.recordId)
            let one = "/v1/records/\(documented.recordId)/document"
            samples.add(.get, "/v1/records/{recordId}/document", try await document(d.patient, one, recordId: documentedId, token: nil))
            samples.add(.get, "/v1/records/{recordId}/document", try await document(d.doctor, one, recordId: documentedId, token: nil))
            samples.add(.get, "/v1/records/{recordId}/document", try await document(d.doctor, "/v1/records/\(stored.recordId)/document", recordId: try Bytes32(stored.recordId), token: token))
            samples.add(.get, "/v1/records/{recordId}/document", try await document(d.doctor, one, recordId: documentedId, token: token))
            samples.add(.get, "/fhir/DocumentReference", try await history(d.patient, "/fhir/DocumentReference?patient=\(d.patient.address.checksummed)"))
            samples.add(.get, "/fhir/DocumentReference", try await history(d.doctor, "/fhir/DocumentReference?patient=\(d.patient.address.checksummed)"))
            samples.add(.get, "/fhir/DocumentReference", try await history(d.patient, "/fhir/DocumentReference"))
            let fhirOne = "/fhir/DocumentReference/\(documented.recordId.dropFirst(2))"
            samples.add(.get, "/fhir/DocumentReference/{id}", try await document(d.patient, fhirOne, recordId: documentedId, token: nil))
            samples.add(.get, "/fhir/DocumentReference/{id}", try await document(d.doctor2, fhirOne, recordId: documentedId, token: nil))
        }

        let file = NSTemporaryDirectory() + "mdrs-openapi-samples-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: samples.items, options: [.prettyPrinted]).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let (status, output) = try await Self.runPython([
            TestEnvironment.repositoryRoot.appendingPathComponent("Tests/tools/validate_openapi.py").path,
            TestEnvironment.repositoryRoot.appendingPathComponent("docs/openapi.json").path, file,
        ])
        #expect(status == 0, "\(output)")
    }

    /// Runs the venv's Python; returns its exit status and output.
    static func runPython(_ arguments: [String]) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestEnvironment.require("MDRS_TEST_PYTHON"))
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // Read while it runs (a full pipe would block it); Foundation's waitUntilExit spins a run
        // loop that never turns on a Swift concurrency thread, so poll.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
