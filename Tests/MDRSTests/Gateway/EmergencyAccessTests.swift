import AsyncHTTPClient
import EthereumCore
import EthereumRPC
import Foundation
import MDRSChain
import MDRSClient
import MDRSCore
import MDRSProtocol
import NIOCore
import PostgresNIO
import Testing
extension ProcessFaultSuites {
    /// Break-glass through the gateway: a member of staff allowed by their hospital declares an
    /// emergency on-chain and fetches the record without a grant, for emergency treatment only,
    /// within the window; every rule tried by a request that should not pass.
    @Suite("Break-glass through the gateway")
    struct EmergencyAccessTests {
        static let justification = "Unconscious after a car crash; allergies and current medication needed before surgery. Ünïcode ok."

        /// Declares an emergency for `recordId` as `staff`: its id, or nil with the refusal's `why`.
        static func declare(
            _ d: Deployment, _ staff: PrivateKey, recordId: Bytes32, justification: String = Self.justification
        ) async throws -> (id: Bytes32?, why: UInt64?) {
            let receipt = try await d.send(
                staff, MedicalAccessContract.declareEmergency(recordId, reason: EmergencyReason.cannotConsent.rawValue,
                    justification: AccessPolicy.justificationHash(justification)))
            let events = receipt.logs.compactMap(d.contract.decode)
            let id = try events.first { $0.name == "EmergencyDeclared" }.map { try $0.value("emergency").asBytes32() }
            let why = try events.first { $0.name == "EmergencyRefused" }.map { try $0.value("why").asUInt64() }
            return (id, why)
        }

        /// A fetch in the emergency `id`: the status, the error code if refused, and the body.
        static func fetch(
            _ gateway: LiveGateway, _ key: PrivateKey, id: Bytes32, encryptedAddress: String, purpose: PurposeOfUse = .emergencyTreatment,
            justification: String = Self.justification
        ) async throws -> (status: Int, code: String?, body: [UInt8]) {
            let client = try await gateway.client(key)
            let response = try await client.fetch(token: id, encryptedAddress: encryptedAddress, purpose: purpose, justification: justification)
            let body = Array((try await response.body.collect(upTo: 1 << 20)).readableBytesView)
            let code = (try? JSONDecoder().decode(APIErrorBody.self, from: Data(body)))?.error.code
            return (Int(response.status.code), code, body)
        }

        /// Waits until the gateway's chain view has reached `block`.
        static func waitForHead(_ gateway: LiveGateway, _ block: UInt64) async throws {
            struct Ready: Decodable { let chainHead: UInt64? }
            try await eventually("the gateway's head reaches block \(block)") {
                let answer = try await gateway.client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil)
                return try JSONDecoder().decode(Ready.self, from: Data(answer.body.readableBytesView)).chainHead ?? 0 >= block
            }
        }

        struct APIErrorBody: Decodable {
            struct Inner: Decodable { let code: String }
            let error: Inner
        }

        @Test(
            "allowed staff are served within the window for ETREAT only; other staff, purposes, texts, records, an opted-out patient and a closed window are refused with their codes; the release is on-chain as an emergency and in the patient's history",
            .timeLimit(.minutes(6)))
        func breakGlass() async throws {
            try await LiveGateway.run { gateway in
                let d = gateway.deployment
                let content = Array("the record an emergency opens".utf8)
                let stored = try await gateway.store(content, contentType: "text/plain")
                let other = try await gateway.store(Array("another record".utf8), contentType: "text/plain")
                let recordId = try Bytes32(stored.recordId)

                // Without the hospital's permission, the declaration itself is refused.
                await #expect(throws: (any Error).self) { _ = try await Self.declare(d, d.doctor, recordId: recordId) }
                try await d.send(d.hospital, MedicalAccessContract.setEmergencyStaff(d.doctor.address, allowed: true))
                // Without a grant, the doctor is refused as today.
                let ungranted = try await Self.fetch(gateway, d.doctor, id: .random(), encryptedAddress: stored.encryptedAddress)
                #expect(ungranted.status == 404 && ungranted.code == "emergency_not_found", "\(ungranted)")

                let id = try #require(try await Self.declare(d, d.doctor, recordId: recordId).id)
                let served = try await Self.fetch(gateway, d.doctor, id: id, encryptedAddress: stored.encryptedAddress)
                #expect(served.status == 200 && served.body == content, "\(served.status) \(served.code ?? "")")

                let refusals: [(String, (status: Int, code: String?, body: [UInt8]))] = [
                    ("emergency_purpose_required", try await Self.fetch(gateway, d.doctor, id: id, encryptedAddress: stored.encryptedAddress, purpose: .treatment)),
                    ("justification_mismatch", try await Self.fetch(gateway, d.doctor, id: id, encryptedAddress: stored.encryptedAddress, justification: "another story")),
                    ("not_emergency_declarant", try await Self.fetch(gateway, d.doctor2, id: id, encryptedAddress: stored.encryptedAddress)),
                    ("address_mismatch", try await Self.fetch(gateway, d.doctor, id: id, encryptedAddress: other.encryptedAddress)),
                ]
                for (code, answer) in refusals {
                    #expect(answer.code == code && answer.status == 403 && answer.body.count < 1000, "\(code): \(answer.status) \(answer.code ?? "")")
                }

                // The patient refuses emergency access: the open window no longer serves, and a new declaration is refused on-chain.
                let refusal = try await d.send(d.patient, MedicalAccessContract.setEmergencyPolicy(.refuse))
                // The gateway decides at the head it has seen, within one poll of the block (as for a revocation).
                try await Self.waitForHead(gateway, refusal.blockNumber)
                let optedOut = try await Self.fetch(gateway, d.doctor, id: id, encryptedAddress: stored.encryptedAddress)
                #expect(optedOut.status == 403 && optedOut.code == "emergency_refused_by_patient", "\(optedOut.status) \(optedOut.code ?? "")")
                #expect(try await Self.declare(d, d.doctor, recordId: recordId).why == 1)
                try await d.send(d.patient, MedicalAccessContract.setEmergencyPolicy(.anyAllowedStaff))

                // A 2-second window, and two declarations a day: the second is this one, the third is refused.
                try await d.send(d.hospital, MedicalAccessContract.setEmergencyRules(window: 2, dailyLimit: 2))
                let short = try #require(try await Self.declare(d, d.doctor, recordId: recordId).id)
                #expect(try await Self.declare(d, d.doctor, recordId: recordId).why == 3, "the day's bound")
                try await Task.sleep(for: .seconds(3))
                let expired = try await Self.fetch(gateway, d.doctor, id: short, encryptedAddress: stored.encryptedAddress)
                #expect(expired.status == 403 && expired.code == "emergency_expired", "\(expired.status) \(expired.code ?? "")")

                // On-chain as an emergency release (outcome 20, not "without grant"), the refusals beside it.
                try await eventually("every row is on-chain", timeout: .seconds(60)) {
                    try await gateway.accessRows().allSatisfy { $0.state == "confirmed" }
                }
                let outcomes = try await gateway.postgres.query(
                    "SELECT outcome, chain_error FROM access_log WHERE token = \(ByteBuffer(bytes: id.bytes)) AND outcome = 20",
                    logger: TestEnvironment.logger)
                var releases = 0
                for try await (outcome, error) in outcomes.decode((Int16, String?).self) {
                    #expect(outcome == 20 && error == nil)
                    releases += 1
                }
                #expect(releases == 1)
                let logs = try await d.contract.client.logs(LogFilter(
                    fromBlock: .earliest, addresses: [d.contract.address], topics: [[MedicalAccessABI.accessed.topic]]))
                let emergencyEntries = logs.compactMap { log -> AccessEntry? in
                    guard case .accessed(let accessed) = d.contract.event(log), accessed.entry.outcome == 20 else { return nil }
                    return accessed.entry
                }
                #expect(emergencyEntries.count == 1 && emergencyEntries.first?.token == id && emergencyEntries.first?.staff == d.doctor.address)

                // The patient's history shows it apart: who, the reason and the justification.
                let (history, _) = try await gateway.client(d.patient).history()
                let flagged = history.accesses.filter { $0.outcome == 20 }
                #expect(flagged.count == 1)
                let emergency = try #require(flagged.first?.emergency)
                #expect(emergency.id == id.hex && emergency.justification == Self.justification && emergency.reason == 1)
                #expect(emergency.reasonText == EmergencyReason.cannotConsent.words)
                #expect(flagged.first?.staff == d.doctor.address.checksummed && flagged.first?.purposeCode == "ETREAT")
                #expect(history.accesses.filter { $0.outcome != 20 }.allSatisfy { $0.emergency == nil })

                // The auditor's queue: the one emergency a record was released in, unreviewed; the
                // readiness details count it.
                let auditor = try await gateway.client(d.auditor)
                let queue = try await auditor.emergencies(reviewed: false)
                #expect(queue.emergencies.map(\.id) == [id.hex])
                let pending = try #require(queue.emergencies.first)
                #expect(pending.staff == d.doctor.address.checksummed && pending.justification == Self.justification && pending.releases == 1)
                #expect(pending.review == nil)
                try await eventually("readiness counts the unreviewed emergency") {
                    let ready = try await gateway.client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil)
                    return String(buffer: ready.body).contains("\"unreviewedEmergencies\":1")
                }
                // Only an auditor reviews, once; the review goes on-chain.
                await #expect(throws: GatewayClientError.self) { _ = try await gateway.client(d.doctor).reviewEmergency(id, justified: true, note: "me") }
                let note = "Justified: the patient arrived unconscious; the record was needed for anaesthesia."
                let review = try await auditor.reviewEmergency(id, justified: true, note: note)
                #expect(review.verdict == 1 && review.reviewer == d.auditor.address.checksummed)
                let again = await #expect(throws: GatewayClientError.self) { _ = try await auditor.reviewEmergency(id, justified: false, note: "no") }
                #expect(again?.code == "emergency_already_reviewed")
                try await eventually("the review is on-chain", timeout: .seconds(60)) {
                    try await d.contract.emergency(id)?.verdict == 1
                }
                let onChain = try #require(try await d.contract.emergency(id))
                #expect(onChain.reviewer == d.auditor.address && onChain.reviewNote == AccessPolicy.justificationHash(note))
                #expect(try await auditor.emergencies(reviewed: false).emergencies.isEmpty)
                try await eventually("the review shows its transaction") {
                    try await auditor.emergencies(reviewed: true).emergencies.first?.review?.transactionHash != nil
                }
                try await eventually("readiness no longer counts it") {
                    let ready = try await gateway.client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil)
                    return String(buffer: ready.body).contains("\"unreviewedEmergencies\":0")
                }
            }
        }

        @Test(
            "the review is kept when it is answered: a gateway killed at once (kill -9) records it on-chain after its restart, and it stays final",
            .timeLimit(.minutes(6)))
        func reviewSurvivesRestart() async throws {
            let stack = try await DatabaseFaultTests.Stack.start(gateways: 1)
            let d = stack.deployment, gateway = stack.gateways[0]
            try await d.send(d.hospital, MedicalAccessContract.setEmergencyStaff(d.doctor.address, allowed: true))
            let id = try #require(try await Self.declare(d, d.doctor, recordId: try Bytes32(stack.stored.recordId)).id)
            let doctor = try await GatewayClient(baseURL: gateway.baseURL, key: d.doctor, httpClient: HTTPClient.shared)
            let released = try await doctor.fetch(
                token: id, encryptedAddress: stack.stored.encryptedAddress, purpose: .emergencyTreatment, justification: Self.justification)
            #expect(released.status == .ok)
            #expect(Array((try await released.body.collect(upTo: 1 << 20)).readableBytesView) == stack.body)

            let auditor = try await GatewayClient(baseURL: gateway.baseURL, key: d.auditor, httpClient: HTTPClient.shared)
            let note = "Not justified: the patient was conscious and could have granted access."
            _ = try await auditor.reviewEmergency(id, justified: false, note: note)
            await gateway.crash()
            try await gateway.start()
            try await eventually("the review is on-chain after the restart", timeout: .seconds(60)) {
                try await d.contract.emergency(id)?.verdict == 2
            }
            let onChain = try #require(try await d.contract.emergency(id))
            #expect(onChain.reviewer == d.auditor.address && onChain.reviewNote == AccessPolicy.justificationHash(note))
            let restarted = try await GatewayClient(baseURL: gateway.baseURL, key: d.auditor, httpClient: HTTPClient.shared)
            try await eventually("the kept review shows its transaction") {
                try await restarted.emergencies(reviewed: true).emergencies.first?.review?.transactionHash != nil
            }
            let kept = try #require(try await restarted.emergencies().emergencies.first?.review)
            #expect(kept.verdict == 2 && kept.note == note && kept.reviewer == d.auditor.address.checksummed)
            let again = await #expect(throws: GatewayClientError.self) { _ = try await restarted.reviewEmergency(id, justified: true, note: "changed my mind") }
            #expect(again?.code == "emergency_already_reviewed")
            #expect(await gateway.terminate() == 0)
        }
    }
}
