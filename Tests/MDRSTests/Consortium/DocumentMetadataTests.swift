import AsyncHTTPClient
import EthereumCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import MDRSChain
import MDRSClient
import MDRSCore
import MDRSPostgres
import MDRSProtocol
import NIOCore
import PostgresNIO
import Testing

/// Documents by what they are: a store carries a title, a type, a date of service, an author
/// and a file name, sealed at rest under the record's key, readable by the patient, a grantee
/// and the custodian's records clerks only, and gone with the record.
@Suite("Document metadata")
struct DocumentMetadataTests {
    static let document = DocumentMetadata(
        title: "Discharge summary, São Paulo cardiology ward", type: .dischargeSummary, serviceDate: "2026-11-02",
        author: "Dr. Ana Silva", fileName: "alta-cardiologia.pdf")

    /// How a refusal reads: its HTTP status and code.
    static func refusal(_ work: () async throws -> some Any) async -> (Int, String)? {
        do {
            _ = try await work()
            return nil
        } catch let error as GatewayClientError {
            return (error.status, error.code)
        } catch {
            return (0, "\(error)")
        }
    }

    @Test(
        "metadata is sealed at rest, read by the patient, a grantee and a records clerk, refused to others, and erased by shredding",
        .timeLimit(.minutes(6)))
    func sealedReadableAndErased() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let body = Array("%PDF-1.4 a discharge summary".utf8)
            let stored = try await gateway.client(d.clerk).store(
                body: .bytes(ByteBuffer(bytes: body)), sha256: Bytes32.sha256(body), patient: d.patient.address,
                contentType: "application/pdf", document: Self.document)
            #expect(stored.document == Self.document)
            let recordId = try Bytes32(stored.recordId)
            try await eventually("the anchor is confirmed") {
                let status = try await gateway.client.execute(uri: "/v1/records/\(stored.recordId)/anchor", method: .get, headers: [:], body: nil)
                return String(buffer: status.body).contains("\"confirmed\"")
            }

            // At rest: no field in clear anywhere in the record's row.
            for word in ["Discharge", "cardiology", "Ana Silva", "alta-cardiologia", "2026-11-02", "18842-5"] {
                let found = try await gateway.postgres.query(
                    "SELECT count(*) FROM records r WHERE r::text LIKE \("%" + word + "%") OR encode(r.document, 'escape') LIKE \("%" + word + "%")",
                    logger: TestEnvironment.logger)
                for try await count in found.decode(Int64.self) { #expect(count == 0, "\(word) is in clear in the database") }
            }

            // The patient: the list and the one record.
            let patient = try await gateway.client(d.patient)
            let mine = try await patient.documents()
            #expect(mine.documents.map(\.document) == [Self.document])
            #expect(mine.documents.first?.typeDisplay == "Discharge summary")
            #expect(try await patient.document(recordId: recordId).document == Self.document)

            // A grantee, with the grant's token; the FHIR DocumentReference says the same.
            let token = try await d.grant(recordId, to: d.doctor)
            let doctor = try await gateway.client(d.doctor)
            #expect(try await doctor.document(recordId: recordId, token: token).document?.title == Self.document.title)
            let fhir = try JSONDecoder().decode(FHIRDocumentReference.self, from: try await doctor.fhirDocumentReference(recordId: recordId, token: token))
            #expect(fhir.type?.coding?.first?.code == "18842-5")
            #expect(fhir.type?.coding?.first?.system == "http://loinc.org")
            #expect(fhir.description == Self.document.title)
            #expect(fhir.subject.identifier?.value == d.patient.address.checksummed)
            #expect(fhir.content.first?.attachment.url?.hasPrefix("/v1/access/") == true)
            #expect(fhir.content.first?.attachment.creation == "2026-11-02")
            let bundleBody = try await patient.fhirDocumentReferences()
            let bundle = try JSONDecoder().decode(FHIRBundle<FHIRDocumentReference>.self, from: bundleBody)
            #expect(bundle.entry?.map(\.resource.id) == [String(stored.recordId.dropFirst(2))])
            // Valid FHIR R4, as fhir.resources reads it.
            let resources = [
                try JSONSerialization.jsonObject(with: try await doctor.fhirDocumentReference(recordId: recordId, token: token)),
                try JSONSerialization.jsonObject(with: bundleBody),
            ]
            let file = NSTemporaryDirectory() + "mdrs-fhir-documents-\(UUID().uuidString).json"
            try JSONSerialization.data(withJSONObject: resources).write(to: URL(fileURLWithPath: file))
            defer { try? FileManager.default.removeItem(atPath: file) }
            let (status, output) = try await OpenAPIResponseTests.runPython([
                TestEnvironment.repositoryRoot.appendingPathComponent("Tests/tools/validate_fhir.py").path, file,
            ])
            #expect(status == 0, "\(output)")
            #expect(output.contains("2 DocumentReferences) checked, 0 problems"), "\(output)")

            // The download is saved under the document's file name.
            let fetched = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment)
            _ = try await fetched.body.collect(upTo: 1 << 20)
            #expect(fetched.headers.first(name: "Content-Disposition") == "attachment; filename=\"alta-cardiologia.pdf\"; filename*=UTF-8''alta-cardiologia.pdf")

            // Refused: another doctor (with the token or without), a stranger, a clerk the
            // directory does not name as a records clerk. None of them costs a nonce row.
            let nonces = try await gateway.count("request_nonces")
            let doctor2 = try await gateway.client(d.doctor2)
            #expect(await Self.refusal { try await doctor2.document(recordId: recordId, token: token) } ?? (0, "") == (403, "not_grantee"))
            #expect(await Self.refusal { try await doctor2.document(recordId: recordId) } ?? (0, "") == (403, "not_patient"))
            #expect(await Self.refusal { try await doctor2.documents(of: d.patient.address) } ?? (0, "") == (403, "not_patient"))
            let stranger = try await gateway.client(PrivateKey.random())
            #expect(await Self.refusal { try await stranger.document(recordId: recordId) } ?? (0, "") == (403, "not_patient"))
            let clerk = try await gateway.client(d.clerk)
            #expect(await Self.refusal { try await clerk.documents(of: d.patient.address) } ?? (0, "") == (403, "not_patient"))
            #expect(try await gateway.count("request_nonces") == nonces, "a refused reader cost a nonce row")
            // A stranger who is "the patient" of an empty key: an empty answer, no row either.
            #expect(try await stranger.documents().documents.isEmpty)
            #expect(try await gateway.count("request_nonces") == nonces)

            // Named a records clerk in the hospital's directory: may read.
            try await StaffDirectoryStore(client: gateway.postgres, logger: TestEnvironment.logger)
                .set(d.clerk.address, name: "Sam Okafor", role: .recordsClerk, department: "Medical records")
            #expect(try await clerk.documents(of: d.patient.address).documents.count == 1)

            // Revoked: the grantee is refused.
            _ = try await d.send(d.patient, MedicalAccessContract.revoke(token))
            try await eventually("the revocation is seen", timeout: .seconds(20)) {
                await Self.refusal { try await doctor.document(recordId: recordId, token: token) }?.1 == "grant_revoked"
            }

            // Shredded: nothing left to read or list.
            try await RecordStore(client: gateway.postgres, keyring: MasterKeyring(current: try MasterKey(contentsOfFile: d.path("master.key"))), logger: TestEnvironment.logger).shred(recordId)
            let left = try await gateway.postgres.query(
                "SELECT count(*) FROM records WHERE document IS NOT NULL", logger: TestEnvironment.logger)
            for try await count in left.decode(Int64.self) { #expect(count == 0) }
            #expect(await Self.refusal { try await patient.document(recordId: recordId) } ?? (0, "") == (410, "record_erased"))
            #expect(try await patient.documents().documents.isEmpty)
        }
    }

    @Test("a malformed document, or one other than the signed one, is refused and stores nothing", .timeLimit(.minutes(6)))
    func malformedOrUnsigned() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let body = Array("content".utf8)
            let domain = SigningDomain(chainId: d.chainId, contract: d.contract.address, custodian: d.hospital.address)
            func send(header: String, signed: String) async throws -> (Int, String) {
                let nonce = Bytes32.random(), issuedAt = UInt64(Date().timeIntervalSince1970)
                let signature = try SignedRequest.store(
                    patient: d.patient.address, contentType: "text/plain", contentSHA256: Bytes32.sha256(body), document: signed,
                    nonce: nonce, issuedAt: issuedAt, domain: domain
                ).sign(with: d.clerk)
                var headers = HTTPFields()
                headers[.contentType] = "text/plain"
                headers[HTTPField.Name(SignedRequest.Header.patient)!] = d.patient.address.checksummed
                headers[HTTPField.Name(SignedRequest.Header.contentSHA256)!] = Bytes32.sha256(body).hex
                headers[HTTPField.Name(SignedRequest.Header.document)!] = header
                headers[HTTPField.Name(SignedRequest.Header.nonce)!] = nonce.hex
                headers[HTTPField.Name(SignedRequest.Header.issuedAt)!] = String(issuedAt)
                headers[HTTPField.Name(SignedRequest.Header.signature)!] = signature.hex
                let answer = try await gateway.client.execute(
                    uri: "/v1/records", method: .post, headers: headers, body: ByteBuffer(bytes: body))
                let text = String(buffer: answer.body)
                let code = text.split(separator: "\"code\":\"").dropFirst().first?.split(separator: "\"").first.map(String.init) ?? text
                return (Int(answer.status.code), code)
            }
            func header(_ json: String) -> String {
                Data(json.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                    .replacingOccurrences(of: "=", with: "")
            }
            let bad = [
                "not base64!",
                header("{\"title\":\"x\"}"),
                header("{\"title\":\"x\",\"type\":\"99999-9\"}"),
                header("{\"title\":\"x\",\"type\":\"18842-5\",\"serviceDate\":\"2026-02-30\"}"),
                header("{\"title\":\"x\",\"type\":\"18842-5\",\"fileName\":\"../etc/passwd\"}"),
                header("{\"title\":\"\",\"type\":\"18842-5\"}"),
                String(repeating: "A", count: 3000),
            ]
            for value in bad {
                let (status, code) = try await send(header: value, signed: "")
                #expect(status == 400 && code == "bad_request", "\(value.prefix(60)): \(status) \(code)")
            }
            // Well formed, but the signature covers another text: another signer, refused.
            let signed = Self.document.jsonText
            var changed = Self.document
            changed.title = "Something else"
            let (status, _) = try await send(header: changed.headerValue, signed: signed)
            #expect(status == 403, "a document other than the signed one was accepted: \(status)")
            #expect(try await gateway.count("records") == 0)
            // The signed one is accepted.
            #expect(try await send(header: Self.document.headerValue, signed: signed).0 == 201)
        }
    }
}
