import EthereumCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import MDRSChain
import MDRSClient
import MDRSProtocol
@testable import MDRSServer
import NIOCore
import MDRSPostgres
import Testing

/// `GET /fhir/AuditEvent`: the access log as FHIR R4 AuditEvents (IHE BALP RESTful read), for
/// auditors and for the patient themself; every resource answered is validated with
/// fhir.resources by `Tests/tools/validate_fhir.py`.
@Suite("FHIR AuditEvent")
struct FHIRAuditEventTests {
    final class Answers: @unchecked Sendable {
        var resources = [Any]()
    }

    struct Signed {
        let response: TestResponse
        let headers: HTTPFields
    }

    /// A GET of `target` signed by `key`, as an AuditRequest or (with `patient`) a PatientRequest.
    static func get(_ gateway: LiveGateway, _ key: PrivateKey, _ target: String, patient: Address? = nil, answers: Answers) async throws -> Signed {
        let d = gateway.deployment
        let client = try await gateway.client(key)
        let domain = SigningDomain(chainId: d.chainId, contract: d.contract.address, custodian: d.hospital.address)
        let signed = try client.signedHeaders { nonce, issuedAt in
            if let patient { return SignedRequest.patient(patient, query: target, nonce: nonce, issuedAt: issuedAt, domain: domain) }
            return SignedRequest.audit(query: target, nonce: nonce, issuedAt: issuedAt, domain: domain)
        }
        let headers = OpenAPIResponseTests.fields(signed.map { ($0.name, $0.value) })
        let response = try await gateway.client.execute(uri: target, method: .get, headers: headers, body: nil)
        #expect(response.headers[.contentType] == "application/fhir+json", "\(target): \(response.headers)")
        if let json = try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) { answers.resources.append(json) }
        return Signed(response: response, headers: headers)
    }

    static func bundle(_ signed: Signed) throws -> FHIRBundle<FHIRAuditEvent> {
        #expect(signed.response.status == .ok, "\(String(buffer: signed.response.body))")
        return try JSONDecoder().decode(FHIRBundle<FHIRAuditEvent>.self, from: Data(signed.response.body.readableBytesView))
    }

    static func refusal(_ signed: Signed, _ status: HTTPResponse.Status, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(signed.response.status == status, "\(String(buffer: signed.response.body))", sourceLocation: sourceLocation)
        let outcome = try JSONDecoder().decode(FHIROperationOutcome.self, from: Data(signed.response.body.readableBytesView))
        #expect(outcome.issue.first?.details?.coding?.first?.code == code, "\(outcome)", sourceLocation: sourceLocation)
    }

    @Test("auditors and the patient read the log as AuditEvents, paged, filtered by date; others are refused; all of it validates", .timeLimit(.minutes(6)))
    func auditEvents() async throws {
        let answers = Answers()
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let stored = try await gateway.store(Array("a record read by FHIR auditors".utf8), contentType: "text/plain")
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)
            var served = try await AuditIndexTests.fetches(2, of: stored, token: token, via: gateway)
            let ranged = FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: stored.encryptedAddress)
            var headers = try ranged.headers()
            headers[.range] = "bytes=0-3"
            let partial = try await gateway.client.execute(uri: ranged.uri, method: .get, headers: headers, body: nil)
            #expect(partial.status == .partialContent)
            served.append(try #require(partial.headers[HTTPField.Name(SignedRequest.Header.requestId)!]))
            // Another doctor, not the grantee: refused, and logged.
            let refused = try await GatewayRefusalTests.send(
                FetchRequestBuilder(deployment: d, key: d.doctor2, token: token, encryptedAddress: stored.encryptedAddress), via: gateway)
            #expect(refused.status == .forbidden)
            let refusedId = try #require(refused.headers[HTTPField.Name(SignedRequest.Header.requestId)!])
            // A range past the record's end: the requester's mistake, a minor failure (4).
            let badRange = FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: stored.encryptedAddress)
            var rangeHeaders = try badRange.headers()
            rangeHeaders[.range] = "bytes=9000-9999"
            let unsatisfiable = try await gateway.client.execute(uri: badRange.uri, method: .get, headers: rangeHeaders, body: nil)
            #expect(unsatisfiable.status == .rangeNotSatisfiable)
            let rangeRefusedId = try #require(unsatisfiable.headers[HTTPField.Name(SignedRequest.Header.requestId)!])
            // Break-glass: a release in a declared emergency, without a grant.
            try await d.send(d.hospital, MedicalAccessContract.setEmergencyStaff(d.doctor.address, allowed: true))
            let emergency = try #require(try await EmergencyAccessTests.declare(d, d.doctor, recordId: try Bytes32(stored.recordId)).id)
            let breakGlass = try await gateway.client(d.doctor).fetch(
                token: emergency, encryptedAddress: stored.encryptedAddress, purpose: .emergencyTreatment,
                justification: EmergencyAccessTests.justification)
            #expect(breakGlass.status == .ok)
            let emergencyId = try #require(breakGlass.headers.first(name: SignedRequest.Header.requestId))
            _ = try await breakGlass.body.collect(upTo: 1 << 20)
            served.append(emergencyId)
            try await eventually("the accesses are on-chain") {
                try await gateway.accessRows().allSatisfy { $0.state == "confirmed" || $0.state == "local_only" }
            }

            // The auditor pages through everything, two at a time, each event once.
            var ids = [String](), target: String? = "/fhir/AuditEvent?_count=2"
            var pages = 0
            while let next = target {
                let page = try Self.bundle(try await Self.get(gateway, d.auditor, next, answers: answers))
                #expect((page.entry?.count ?? 0) <= 2)
                ids += (page.entry ?? []).compactMap(\.resource.id)
                target = page.next
                pages += 1
                #expect(pages < 10)
            }
            let expected = (served + [refusedId, rangeRefusedId]).map { String($0.dropFirst(2)) }
            #expect(Set(ids) == Set(expected) && ids.count == expected.count, "\(ids) vs \(expected)")

            // The hospital names its doctor: the AuditEvents name them too.
            try await StaffDirectoryStore(client: gateway.postgres, logger: TestEnvironment.logger)
                .set(d.doctor.address, name: "Dr. Ana Silva", role: .physician, department: "Cardiology")
            let all = try Self.bundle(try await Self.get(gateway, d.auditor, "/fhir/AuditEvent", answers: answers))
            let events = Dictionary((all.entry ?? []).map { ($0.resource.id ?? "", $0.resource) }, uniquingKeysWith: { a, _ in a })
            let denial = try #require(events[String(refusedId.dropFirst(2))])
            #expect(denial.outcome == "4" && denial.outcomeDesc == "refused: not_grantee")
            #expect(denial.agent.first { $0.requestor }?.who?.identifier?.value == d.doctor2.address.checksummed)
            let read = try #require(events[String(served[0].dropFirst(2))])
            #expect(read.outcome == "0" && read.action == "R" && read.type.code == "rest" && read.subtype?.first?.code == "read")
            #expect(read.agent.first { $0.requestor }?.purposeOfUse?.first?.coding?.first?.code == "TREAT")
            #expect(read.agent.first { $0.requestor }?.who?.display == "Dr. Ana Silva, physician, Cardiology")
            #expect(read.source.observer.identifier?.value == d.hospital.address.checksummed)
            #expect(read.entity?.contains { $0.role?.code == "1" && $0.what?.identifier?.value == d.patient.address.checksummed } == true)
            // IHE BALP PatientRead: client (110152) and server (110153) with their network, one
            // data entity, the request as entity[transaction] with its on-chain coordinates.
            let client = try #require(read.agent.first { $0.type?.coding?.first?.code == "110152" })
            #expect(client.who?.identifier?.value == d.doctor.address.checksummed && !client.requestor)
            #expect(client.network?.address == "127.0.0.1" && client.network?.type == "2", "\(String(describing: client.network))")
            let server = try #require(read.agent.first { $0.type?.coding?.first?.code == "110153" })
            #expect(server.who?.identifier?.value == d.hospital.address.checksummed && server.network?.address != nil)
            #expect(read.agent.first { $0.requestor }?.type?.coding?.first?.code == "IRCP")
            #expect(read.entity?.filter { $0.type?.code == "2" }.count == 1, "exactly one entity[data]")
            let transaction = try #require(read.entity?.first { $0.type?.code == "XrequestId" })
            #expect(transaction.what?.identifier?.value == served[0])
            #expect(transaction.detail?.contains { $0.type == "transactionHash" } == true, "the on-chain transaction")
            #expect(read.entity?.first { $0.role?.code == "1" }?.what?.type == "Patient")
            let rangeRefusal = try #require(events[String(rangeRefusedId.dropFirst(2))])
            #expect(rangeRefusal.outcome == "4" && rangeRefusal.outcomeDesc == "refused: range_not_satisfiable")
            // The emergency release is a security alert (DICOM 110113 / 110127), for ETREAT,
            // naming the declaration.
            let alert = try #require(events[String(emergencyId.dropFirst(2))])
            #expect(alert.type.code == "110113" && alert.type.display == "Security Alert" && alert.outcome == "0")
            #expect(alert.subtype?.map(\.code) == ["110127", "read"])
            #expect(alert.agent.first { $0.requestor }?.purposeOfUse?.first?.coding?.first?.code == "ETREAT")
            #expect(alert.entity?.contains { $0.role?.code == "13" && $0.what?.identifier?.value == emergency.hex } == true)
            let rangedEvent = try #require(events[String(served[2].dropFirst(2))])
            #expect(rangedEvent.entity?.contains { $0.detail?.contains { $0.type == "range" && $0.valueString == "bytes=0-3" } == true } == true)

            // Dates: FHIR prefixes and precisions, repeated conditions all applying.
            #expect(try Self.bundle(try await Self.get(gateway, d.auditor, "/fhir/AuditEvent?date=lt1980", answers: answers)).entry == nil)
            let recorded = try #require(read.recorded.split(separator: "T").first)
            let sameDay = try Self.bundle(try await Self.get(gateway, d.auditor, "/fhir/AuditEvent?date=\(recorded)", answers: answers))
            #expect(sameDay.entry?.count ?? 0 >= 1)
            let window = try Self.bundle(try await Self.get(
                gateway, d.auditor, "/fhir/AuditEvent?date=ge\(read.recorded)&date=le\(read.recorded)", answers: answers))
            #expect(window.entry?.allSatisfy { $0.resource.recorded == read.recorded } == true)

            // The patient reads their own; the same request again is a replay.
            let own = "/fhir/AuditEvent?patient=\(d.patient.address.checksummed)"
            let mine = try await Self.get(gateway, d.patient, own, patient: d.patient.address, answers: answers)
            let patientView = try Self.bundle(mine)
            #expect(Set(patientView.entry?.compactMap(\.resource.id) ?? []) == Set(expected))
            // A patient sees who looked, not from which network address.
            let clients = (patientView.entry ?? []).compactMap { $0.resource.agent.first { $0.type?.coding?.first?.code == "110152" } }
            #expect(!clients.isEmpty && clients.allSatisfy { $0.network?.address == nil && $0.network?.extension?.first?.valueCode == "masked" })
            let replay = try await gateway.client.execute(uri: own, method: .get, headers: mine.headers, body: nil)
            try Self.refusal(Signed(response: replay, headers: mine.headers), .conflict, "nonce_reused")

            // Nobody else: another patient's key, the patient without patient=, a doctor, an
            // auditor's signature over another query.
            let other = PrivateKey.random()
            try Self.refusal(try await Self.get(gateway, other, own, patient: d.patient.address, answers: answers), .forbidden, "not_patient")
            try Self.refusal(try await Self.get(gateway, d.patient, "/fhir/AuditEvent", answers: answers), .forbidden, "not_auditor")
            try Self.refusal(try await Self.get(gateway, d.doctor, own, patient: d.patient.address, answers: answers), .forbidden, "not_patient")
            try Self.refusal(try await Self.get(gateway, d.patient, own + "&_count=101", patient: d.patient.address, answers: answers), .badRequest, "bad_request")
            try Self.refusal(try await Self.get(gateway, d.auditor, "/fhir/AuditEvent?date=2026-13-01", answers: answers), .badRequest, "bad_request")
            try Self.refusal(try await Self.get(gateway, d.auditor, "/fhir/AuditEvent?_sort=-date", answers: answers), .badRequest, "bad_request")
            // A stranger's key, signing as the patient of a key it just made, costs no nonce.
            let stranger = try Self.bundle(try await Self.get(
                gateway, other, "/fhir/AuditEvent?patient=\(other.address.checksummed)", patient: other.address, answers: answers))
            #expect(stranger.entry == nil)

            // The client follows the next links; a refusal reads as the gateway's code.
            let auditorClient = try await gateway.client(d.auditor)
            var followed = [String]()
            try await auditorClient.forEachFHIRAuditEventPage(query: ["agent=\(d.doctor.address.checksummed)"], count: 2) { events in
                followed += events.compactMap(\.id)
            }
            let doctors = (served + [rangeRefusedId]).map { String($0.dropFirst(2)) }
            #expect(Set(followed) == Set(doctors) && followed.count == doctors.count)
            let doctorClient = try await gateway.client(d.doctor)
            await #expect { try await doctorClient.fhirAuditEvents("/fhir/AuditEvent") } throws: { error in
                (error as? GatewayClientError)?.code == "not_auditor" && (error as? GatewayClientError)?.status == 403
            }
        }

        let file = NSTemporaryDirectory() + "mdrs-fhir-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: answers.resources, options: [.prettyPrinted]).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let (status, output) = try await OpenAPIResponseTests.runPython([
            TestEnvironment.repositoryRoot.appendingPathComponent("Tests/tools/validate_fhir.py").path, file,
        ])
        #expect(status == 0, "\(output)")
        #expect(output.contains("AuditEvents, 0 DocumentReferences) checked"), "\(output)")
    }

    @Test("FHIR dates: precisions, zones and the range each stands for")
    func dates() throws {
        #expect(FHIRDateTime.instant(0) == "1970-01-01T00:00:00Z")
        #expect(FHIRDateTime.instant(1_796_281_509) == "2026-12-03T07:05:09Z")
        #expect(FHIRDateTime.range("2026-12-03T07:05:09Z") == 1_796_281_509..<1_796_281_510)
        #expect(FHIRDateTime.range("2026-12-03T08:05:09+01:00") == 1_796_281_509..<1_796_281_510)
        #expect(FHIRDateTime.range("2026-12-03T07:05Z") == 1_796_281_500..<1_796_281_560)
        #expect(FHIRDateTime.range("2026-12-03") == 1_796_256_000..<1_796_342_400)
        #expect(FHIRDateTime.range("2024-02")?.count == 29 * 86_400)
        #expect(FHIRDateTime.range("2026")?.count == 365 * 86_400)
        for bad in ["2026-02-30", "2026-12-03T07:05", "2026-1-03", "26", "2026-12-03T24:00Z", "2026-12-03T07:05:09.Z", "0000"] {
            #expect(FHIRDateTime.range(bad) == nil, "\(bad)")
        }
        #expect(FHIRDateTime.range("1969")?.upperBound == 0)
        #expect(FHIRDateTime.range("0001-01-01T00:00:00-14:00") != nil)
    }

    @Test("date bounds before 1970 or at its edges neither trap nor widen the answer")
    func dateBounds() throws {
        let nothing: (UInt64?, UInt64?) = (1, 0)
        func bounds(_ text: String) throws -> (UInt64?, UInt64?) { try AuditController.dateBounds(text) }
        #expect(try bounds("1970-01-01T00:00:00+01:00") == nothing)
        #expect(try bounds("ge1970-01-01T00:00:00+14:00") == (nil, nil))
        #expect(try bounds("gt1969") == (nil, nil))
        #expect(try bounds("lt1970") == nothing)
        #expect(try bounds("le1969-12-31") == nothing)
        #expect(try bounds("le1970-01-01T00:00:00Z") == (nil, 0))
        #expect(try bounds("ge1900") == (nil, nil))
        #expect(try bounds("eq2026-12-03") == (1_796_256_000, 1_796_342_399))
        #expect(try bounds("gt9999-12-31T23:59:59-14:00").0 != nil)
        #expect(throws: APIError.self) { try bounds("sa2026") }
        #expect(throws: APIError.self) { try bounds("ge") }
    }
}
