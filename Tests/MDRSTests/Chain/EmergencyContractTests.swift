import BigInt
import EthereumCore
import EthereumRPC
import Foundation
import MDRSChain
@testable import MDRSCore
import MDRSProtocol
import Testing

/// Break-glass in the contract: who may declare an emergency, the patient's refusal, the daily
/// bound, the window, the log's emergency entries and the review, each rule tried by a caller
/// who should not pass.
@Suite("MedicalAccess contract: break-glass")
struct EmergencyContractTests {
    typealias Consortium = ContractTests.Consortium

    /// Declares an emergency as `staff`; the receipt's EmergencyDeclared id, or nil if refused
    /// (with the EmergencyRefused event's `why`).
    static func declare(
        _ c: Consortium, _ staff: PrivateKey, recordId: Bytes32? = nil
    ) async throws -> (id: Bytes32?, why: UInt64?, gas: UInt64) {
        let receipt = try await c.send(
            staff, MedicalAccessContract.declareEmergency(recordId ?? c.recordId, reason: 1, justification: Bytes32.sha256(Array("unconscious after a car crash".utf8))))
        let events = receipt.logs.compactMap(c.contract.decode)
        let declared = try events.first { $0.name == "EmergencyDeclared" }.map { try $0.value("emergency").asBytes32() }
        let why = try events.first { $0.name == "EmergencyRefused" }.map { try $0.value("why").asUInt64() }
        return (declared, why, receipt.gasUsed)
    }

    @Test("strangers and staff without the permission are refused by every break-glass function")
    func strangersRefused() async throws {
        let c = try await Consortium.make()
        let justification = Bytes32.sha256(Array("why".utf8))
        try await c.expectRevert("NotCustodian", c.stranger, MedicalAccessContract.setEmergencyStaff(c.doctor.address, allowed: true))
        try await c.expectRevert("NotStaffCustodian", c.hospital, MedicalAccessContract.setEmergencyStaff(c.otherDoctor.address, allowed: true))
        try await c.expectRevert("StaffNotRegistered", c.hospital, MedicalAccessContract.setEmergencyStaff(c.stranger.address, allowed: true))
        try await c.expectRevert("NotCustodian", c.stranger, MedicalAccessContract.setEmergencyRules(window: 600, dailyLimit: 1))
        try await c.expectRevert("InvalidEmergencyRules", c.hospital, MedicalAccessContract.setEmergencyRules(window: 0, dailyLimit: 1))
        try await c.expectRevert("InvalidEmergencyRules", c.hospital, MedicalAccessContract.setEmergencyRules(window: 90_000, dailyLimit: 1))
        try await c.expectRevert("InvalidEmergencyRules", c.hospital, MedicalAccessContract.setEmergencyRules(window: 600, dailyLimit: 0))
        try await c.expectRevert(
            "InvalidEmergencyPolicy", c.patient, MedicalAccessABI.setEmergencyPolicy.encodeCall([.uint64(3)]))
        try await c.expectRevert(
            "NotEmergencyStaff", c.stranger, MedicalAccessContract.declareEmergency(c.recordId, reason: 1, justification: justification))
        // Registered, but not allowed by its hospital.
        try await c.expectRevert(
            "NotEmergencyStaff", c.doctor, MedicalAccessContract.declareEmergency(c.recordId, reason: 1, justification: justification))
        try await c.send(c.hospital, MedicalAccessContract.setEmergencyStaff(c.doctor.address, allowed: true))
        #expect(try await c.contract.mayDeclareEmergency(c.doctor.address))
        try await c.expectRevert(
            "InvalidEmergency", c.doctor, MedicalAccessContract.declareEmergency(c.recordId, reason: 0, justification: justification))
        try await c.expectRevert(
            "InvalidEmergency", c.doctor, MedicalAccessContract.declareEmergency(c.recordId, reason: 1, justification: .zero))
        try await c.expectRevert(
            "RecordNotFound", c.doctor, MedicalAccessContract.declareEmergency(Bytes32.random(), reason: 1, justification: justification))
        let declared = try #require(try await Self.declare(c, c.doctor).id)
        let reviewer = PrivateKey.random().address
        try await c.expectRevert("NotCustodian", c.stranger, MedicalAccessContract.reviewEmergency(declared, reviewer: reviewer, verdict: 1, note: justification))
        try await c.expectRevert(
            "NotEmergencyCustodian", c.otherHospital, MedicalAccessContract.reviewEmergency(declared, reviewer: reviewer, verdict: 1, note: justification))
        try await c.expectRevert(
            "UnknownEmergency", c.hospital, MedicalAccessContract.reviewEmergency(Bytes32.random(), reviewer: reviewer, verdict: 1, note: justification))
        // The permission dies with the registration it was given under.
        try await c.send(c.hospital, MedicalAccessContract.deregisterStaff(c.doctor.address))
        try await c.send(c.hospital, MedicalAccessContract.registerStaff(c.doctor.address))
        #expect(try await !c.contract.mayDeclareEmergency(c.doctor.address))
        try await c.expectRevert(
            "NotEmergencyStaff", c.doctor, MedicalAccessContract.declareEmergency(c.recordId, reason: 1, justification: justification))
    }

    @Test("a declaration opens the holder's window; the patient's refusal and the daily bound are logged refusals; the log and the review", .timeLimit(.minutes(6)))
    func declarationWindowBoundsLogAndReview() async throws {
        let c = try await Consortium.make()
        try await c.send(c.hospital, MedicalAccessContract.setEmergencyStaff(c.doctor.address, allowed: true))
        try await c.send(c.otherHospital, MedicalAccessContract.setEmergencyStaff(c.otherDoctor.address, allowed: true))

        // The default window: 4 hours from the declaring block.
        let before = try await DevChain.now()
        let first = try await Self.declare(c, c.doctor)
        let after = try await DevChain.now()
        let id = try #require(first.id)
        print("declareEmergency gas: \(first.gas)")
        let emergency = try #require(try await c.contract.emergency(id))
        #expect(emergency.staff == c.doctor.address && emergency.patient == c.patient.address && emergency.recordId == c.recordId)
        #expect(emergency.custodian == c.hospital.address && emergency.staffCustodian == c.hospital.address && emergency.reason == 1)
        #expect((before...after).contains(emergency.expiresAt - 4 * 3600), "\(emergency.expiresAt) vs \(before)...\(after)")
        #expect(emergency.verdict == 0)
        #expect(try await c.contract.emergency(Bytes32.random()) == nil)

        // The patient limits it to the holding hospital's staff, then refuses it: logged, not reverted.
        try await c.send(c.patient, MedicalAccessContract.setEmergencyPolicy(.holdingHospitalOnly))
        let foreign = try await Self.declare(c, c.otherDoctor)
        #expect(foreign.id == nil && foreign.why == 2)
        #expect(try await Self.declare(c, c.doctor).id != nil)
        try await c.send(c.patient, MedicalAccessContract.setEmergencyPolicy(.refuse))
        let refused = try await Self.declare(c, c.doctor)
        #expect(refused.id == nil && refused.why == 1)
        try await c.send(c.patient, MedicalAccessContract.setEmergencyPolicy(.anyAllowedStaff))

        // The daily bound of the declaring staff's hospital (3 here, two used): the fourth of the day is refused.
        try await c.send(c.hospital, MedicalAccessContract.setEmergencyRules(window: 600, dailyLimit: 3))
        let rules = try await c.contract.emergencyRules(of: c.hospital.address)
        #expect(rules.window == 600 && rules.dailyLimit == 3)
        let third = try await Self.declare(c, c.doctor)
        #expect(third.id != nil)
        let fourth = try await Self.declare(c, c.doctor)
        #expect(fourth.id == nil && fourth.why == 3, "\(fourth)")
        // The window is the holder's rule: 10 minutes now.
        let thirdId = try #require(third.id)
        let short = try #require(try await c.contract.emergency(thirdId))
        #expect(short.expiresAt - UInt64(try await DevChain.now()) <= 600)

        // The log: an emergency release names the declaration; another staff's use of it is an incident.
        let served = AccessEntry(
            requestId: Bytes32.random(), token: id, recordId: c.recordId, staff: c.doctor.address,
            purpose: PurposeOfUse.emergencyTreatment.rawValue, outcome: 20, accessedAt: UInt64(Date().timeIntervalSince1970),
            commitment: Bytes32.random())
        let misused = AccessEntry(
            requestId: Bytes32.random(), token: id, recordId: c.recordId, staff: c.otherDoctor.address, purpose: served.purpose, outcome: 20,
            accessedAt: served.accessedAt, commitment: Bytes32.random())
        let receipt = try await c.log(c.hospital, [served, misused])
        let accessed = receipt.logs.compactMap(c.contract.decode).filter { $0.name == "Accessed" }
        #expect(try accessed.map { try $0.value("outcome").asUInt64() } == [20, 254])
        #expect(try accessed[0].value("patient").asAddress() == c.patient.address)

        // The review: by the holder, once, with a verdict.
        let reviewer = PrivateKey.random().address
        let note = Bytes32.sha256(Array("justified: unconscious on arrival".utf8))
        try await c.expectRevert("InvalidVerdict", c.hospital, MedicalAccessContract.reviewEmergency(id, reviewer: reviewer, verdict: 3, note: note))
        let reviewed = try await c.send(c.hospital, MedicalAccessContract.reviewEmergency(id, reviewer: reviewer, verdict: 1, note: note))
        #expect(reviewed.logs.compactMap(c.contract.decode).contains { $0.name == "EmergencyReviewed" })
        let reviewedState = try #require(try await c.contract.emergency(id))
        #expect(reviewedState.verdict == 1 && reviewedState.reviewer == reviewer && reviewedState.reviewNote == note)
        try await c.expectRevert(
            "EmergencyAlreadyReviewed", c.hospital, MedicalAccessContract.reviewEmergency(id, reviewer: reviewer, verdict: 2, note: note))
    }
}
