import BigInt
import EthereumCore
import EthereumRPC
import Foundation
import MDRSChain
@testable import MDRSCore
import MDRSProtocol
import Testing

/// The consortium contract driven through the Swift toolkit against the dev chain: every role
/// rule, each tried by a second caller who should not pass, and every custom error.
@Suite("MedicalAccess contract on the dev chain")
struct ContractTests {
    /// A deployed contract with an admin, a hospital, two registered doctors, a patient with an
    /// anchored record, and a stranger.
    struct Consortium {
        let contract: MedicalAccessContract
        let admin: PrivateKey
        let hospital: PrivateKey
        let otherHospital: PrivateKey
        let doctor: PrivateKey
        let otherDoctor: PrivateKey
        let patient: PrivateKey
        let stranger: PrivateKey
        let recordId: Bytes32

        static func make() async throws -> Consortium {
            async let admin = DevChain.fundedKey()
            async let hospital = DevChain.fundedKey()
            async let otherHospital = DevChain.fundedKey()
            async let doctor = DevChain.fundedKey()
            async let otherDoctor = DevChain.fundedKey()
            async let patient = DevChain.fundedKey()
            async let stranger = DevChain.fundedKey()
            let consortium = Consortium(
                contract: try await DevChain.deploy(admin: try await admin), admin: try await admin,
                hospital: try await hospital, otherHospital: try await otherHospital, doctor: try await doctor,
                otherDoctor: try await otherDoctor, patient: try await patient, stranger: try await stranger,
                recordId: Bytes32.random())
            try await consortium.send(consortium.admin, MedicalAccessContract.registerCustodian(consortium.hospital.address, name: "St. Elsewhere"))
            try await consortium.send(consortium.admin, MedicalAccessContract.registerCustodian(consortium.otherHospital.address, name: "County General"))
            try await consortium.send(consortium.hospital, MedicalAccessContract.registerStaff(consortium.doctor.address))
            try await consortium.send(consortium.otherHospital, MedicalAccessContract.registerStaff(consortium.otherDoctor.address))
            try await consortium.send(consortium.hospital, MedicalAccessContract.anchorRecord(consortium.anchor(consortium.recordId)))
            return consortium
        }

        func anchor(_ recordId: Bytes32, patient: Address? = nil) -> RecordAnchorInput {
            RecordAnchorInput(
                recordId: recordId, patient: patient ?? self.patient.address, contentHash: Bytes32.keccak(recordId.bytes),
                encryptedAddress: Array(repeating: 0xAB, count: 89))
        }

        @discardableResult
        func send(_ key: PrivateKey, _ data: [UInt8], gasLimit: UInt64? = nil) async throws -> TransactionReceipt {
            try await DevChain.submitter(key).submit(to: contract.address, data: data, gasLimit: gasLimit)
        }

        /// Sends `entries` numbered after `key`'s last logged entry.
        @discardableResult
        func log(_ key: PrivateKey, _ entries: [AccessEntry]) async throws -> TransactionReceipt {
            try await send(key, MedicalAccessContract.logAccess(firstSequence: try await next(key), entries))
        }

        /// The number `key`'s next entry must carry.
        func next(_ key: PrivateKey) async throws -> UInt64 {
            try await contract.logHead(of: key.address).sequence + 1
        }

        /// Sends and expects the contract to refuse with custom error `name`.
        func expectRevert(_ name: String, _ key: PrivateKey, _ data: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) async throws {
            do {
                try await send(key, data)
                Issue.record("expected \(name), but the transaction succeeded", sourceLocation: sourceLocation)
            } catch let error as SubmissionError {
                let reason = MedicalAccessABI.revertReason(error.revertData ?? [])
                #expect(reason.customName == name, "got \(reason)", sourceLocation: sourceLocation)
            }
        }

        func grant(to staff: PrivateKey, expiresIn seconds: UInt64 = 3600, recordId: Bytes32? = nil) async throws -> Bytes32 {
            let expiresAt = try await DevChain.now() + seconds
            let receipt = try await send(patient, MedicalAccessContract.grant(staff: staff.address, recordId: recordId ?? self.recordId, expiresAt: expiresAt))
            let event = try #require(receipt.logs.compactMap(contract.decode).first(where: { $0.name == "Granted" }))
            return try #require(event.token)
        }

        func entry(_ token: Bytes32, staff: Address, outcome: UInt8 = 1, recordId: Bytes32? = nil) -> AccessEntry {
            AccessEntry(
                requestId: Bytes32.random(), token: token, recordId: recordId ?? self.recordId, staff: staff,
                purpose: PurposeOfUse.treatment.rawValue, outcome: outcome, accessedAt: UInt64(Date().timeIntervalSince1970),
                commitment: Bytes32.random())
        }
    }

    @Test("the Swift declaration of the contract matches the compiled artifact")
    func abiMatchesArtifact() throws {
        let abi = try DevChain.artifact.abi
        for function in MedicalAccessABI.functions {
            let compiled = try abi.function(function.name)
            #expect(compiled.signature == function.signature)
            #expect(compiled.outputs.map(\.type) == function.outputs.map(\.type), "\(function.name)")
        }
        #expect(Set(abi.events.map(\.signature)) == Set(MedicalAccessABI.events.map(\.signature)))
        for event in MedicalAccessABI.events {
            #expect(try abi.event(event.name).inputs == event.inputs, "\(event.name)")
        }
        #expect(Set(abi.errors.map(\.signature)) == Set(MedicalAccessABI.errors.map(\.signature)))
    }

    @Test("roles: only the admin registers custodians, only a custodian its own staff")
    func roles() async throws {
        let c = try await Consortium.make()
        try await c.expectRevert("NotAdmin", c.stranger, MedicalAccessContract.registerCustodian(c.stranger.address, name: "Fake"))
        try await c.expectRevert("NotAdmin", c.hospital, MedicalAccessContract.deregisterCustodian(c.otherHospital.address))
        try await c.expectRevert("CustodianAlreadyRegistered", c.admin, MedicalAccessContract.registerCustodian(c.hospital.address, name: "Again"))
        try await c.expectRevert("ZeroAddress", c.admin, MedicalAccessContract.registerCustodian(.zero, name: "Nobody"))
        try await c.expectRevert("NotCustodian", c.stranger, MedicalAccessContract.registerStaff(c.stranger.address))
        try await c.expectRevert("NotCustodian", c.doctor, MedicalAccessContract.registerStaff(c.stranger.address))
        try await c.expectRevert("StaffAlreadyRegistered", c.otherHospital, MedicalAccessContract.registerStaff(c.doctor.address))
        try await c.expectRevert("NotStaffCustodian", c.otherHospital, MedicalAccessContract.deregisterStaff(c.doctor.address))
        try await c.expectRevert("StaffNotRegistered", c.hospital, MedicalAccessContract.deregisterStaff(c.stranger.address))

        #expect(try await c.contract.staffCustodian(c.doctor.address) == c.hospital.address)
        #expect(try await c.contract.staffCustodian(c.stranger.address) == nil)
        let hospital = try await c.contract.custodian(c.hospital.address)
        #expect(hospital.name == "St. Elsewhere" && hospital.active && hospital.registeredAt > 0)

        try await c.send(c.hospital, MedicalAccessContract.deregisterStaff(c.doctor.address))
        #expect(try await c.contract.staffCustodian(c.doctor.address) == nil)

        // A deregistered custodian keeps its history but can add nothing.
        try await c.send(c.admin, MedicalAccessContract.deregisterCustodian(c.otherHospital.address))
        #expect(try await c.contract.custodian(c.otherHospital.address).active == false)
        try await c.expectRevert("NotCustodian", c.otherHospital, MedicalAccessContract.anchorRecord(c.anchor(Bytes32.random())))
        try await c.expectRevert("NotCustodian", c.otherHospital, MedicalAccessContract.registerStaff(c.stranger.address))
        try await c.expectRevert("NotCustodian", c.admin, MedicalAccessContract.deregisterCustodian(c.otherHospital.address))
    }

    @Test("records: anchored once, by a custodian only")
    func records() async throws {
        let c = try await Consortium.make()
        let anchored = try #require(try await c.contract.record(c.recordId))
        #expect(anchored.patient == c.patient.address)
        #expect(anchored.custodian == c.hospital.address)
        #expect(anchored.contentHash == Bytes32.keccak(c.recordId.bytes))
        #expect(anchored.encryptedAddress == Array(repeating: 0xAB, count: 89))
        #expect(try await c.contract.record(Bytes32.random()) == nil)

        try await c.expectRevert("NotCustodian", c.stranger, MedicalAccessContract.anchorRecord(c.anchor(Bytes32.random())))
        try await c.expectRevert("NotCustodian", c.doctor, MedicalAccessContract.anchorRecord(c.anchor(Bytes32.random())))
        try await c.expectRevert("RecordAlreadyAnchored", c.hospital, MedicalAccessContract.anchorRecord(c.anchor(c.recordId)))
        try await c.expectRevert("RecordAlreadyAnchored", c.otherHospital, MedicalAccessContract.anchorRecord(c.anchor(c.recordId)))
        try await c.expectRevert("ZeroAddress", c.hospital, MedicalAccessContract.anchorRecord(c.anchor(Bytes32.random(), patient: .zero)))
        try await c.expectRevert("ZeroRecordId", c.hospital, MedicalAccessContract.anchorRecord(c.anchor(.zero)))
    }

    @Test("consent: requests by staff, grants and revocations by the record's patient only")
    func consent() async throws {
        let c = try await Consortium.make()
        try await c.send(c.doctor, MedicalAccessContract.requestAccess(c.recordId, purpose: .treatment))
        try await c.expectRevert("StaffNotRegistered", c.stranger, MedicalAccessContract.requestAccess(c.recordId, purpose: .treatment))
        try await c.expectRevert("RecordNotFound", c.doctor, MedicalAccessContract.requestAccess(Bytes32.random(), purpose: .treatment))

        let now = try await DevChain.now()
        try await c.expectRevert("NotRecordPatient", c.stranger, MedicalAccessContract.grant(staff: c.doctor.address, recordId: c.recordId, expiresAt: now + 3600))
        try await c.expectRevert("NotRecordPatient", c.hospital, MedicalAccessContract.grant(staff: c.doctor.address, recordId: c.recordId, expiresAt: now + 3600))
        try await c.expectRevert("NotRecordPatient", c.doctor, MedicalAccessContract.grant(staff: c.doctor.address, recordId: c.recordId, expiresAt: now + 3600))
        try await c.expectRevert("StaffNotRegistered", c.patient, MedicalAccessContract.grant(staff: c.stranger.address, recordId: c.recordId, expiresAt: now + 3600))
        try await c.expectRevert("InvalidExpiry", c.patient, MedicalAccessContract.grant(staff: c.doctor.address, recordId: c.recordId, expiresAt: now - 1))
        try await c.expectRevert("RecordNotFound", c.patient, MedicalAccessContract.grant(staff: c.doctor.address, recordId: Bytes32.random(), expiresAt: now + 3600))

        let token = try await c.grant(to: c.doctor)
        let second = try await c.grant(to: c.doctor)
        #expect(token != second, "two grants never share a token")
        let grant = try #require(try await c.contract.grant(token))
        #expect(grant.patient == c.patient.address && grant.staff == c.doctor.address && grant.recordId == c.recordId)
        #expect(grant.custodian == c.hospital.address && !grant.revoked && grant.grantedAt == grant.updatedAt)
        #expect(try await c.contract.grant(Bytes32.random()) == nil)

        // A doctor of another hospital may be granted a record of this one.
        _ = try await c.grant(to: c.otherDoctor)

        // checkGrant: the on-chain view of every rule.
        let checked = try await c.contract.call(MedicalAccessABI.checkGrant, [.bytes32(token), .address(c.doctor.address)])
        #expect(try GrantStateProbe.token(of: checked) == c.recordId)
        await Self.expectViewRevert("NotGrantee", c.contract, [.bytes32(token), .address(c.otherDoctor.address)])
        await Self.expectViewRevert("UnknownGrant", c.contract, [.bytes32(Bytes32.random()), .address(c.doctor.address)])

        try await c.expectRevert("NotGrantPatient", c.stranger, MedicalAccessContract.revoke(token))
        try await c.expectRevert("NotGrantPatient", c.doctor, MedicalAccessContract.revoke(token))
        try await c.expectRevert("UnknownGrant", c.patient, MedicalAccessContract.revoke(Bytes32.random()))
        try await c.send(c.patient, MedicalAccessContract.revoke(token))
        let revoked = try #require(try await c.contract.grant(token))
        #expect(revoked.revoked && revoked.updatedAt > revoked.grantedAt)
        try await c.expectRevert("GrantAlreadyRevoked", c.patient, MedicalAccessContract.revoke(token))
        await Self.expectViewRevert("GrantRevoked", c.contract, [.bytes32(token), .address(c.doctor.address)])

        // Deregistered staff: the grant stands on-chain, but checkGrant refuses it.
        try await c.send(c.hospital, MedicalAccessContract.deregisterStaff(c.doctor.address))
        await Self.expectViewRevert("StaffNotRegistered", c.contract, [.bytes32(second), .address(c.doctor.address)])
    }

    @Test("an expired grant reads as expired")
    func expiredGrant() async throws {
        let c = try await Consortium.make()
        let token = try await c.grant(to: c.doctor, expiresIn: 30)
        try await DevChain.advanceTime(seconds: 60)
        await Self.expectViewRevert("GrantExpired", c.contract, [.bytes32(token), .address(c.doctor.address)])
        #expect(try await c.contract.grant(token)?.expiresAt ?? .max <= (try await DevChain.now()))
    }

    static func expectViewRevert(_ name: String, _ contract: MedicalAccessContract, _ arguments: [ABIValue], sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            _ = try await contract.call(MedicalAccessABI.checkGrant, arguments)
            Issue.record("expected \(name)", sourceLocation: sourceLocation)
        } catch let error as ChainError {
            #expect(error.revertName == name, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("the access log: batches of 1, 100 and 500, numbered without gaps; served entries without their grant are logged as incidents", .timeLimit(.minutes(5)))
    func accessLog() async throws {
        let c = try await Consortium.make()
        let token = try await c.grant(to: c.doctor)
        let otherToken = try await c.grant(to: c.otherDoctor)

        var gas = [Int: UInt64]()
        var seconds = [Int: Double]()
        var expected: UInt64 = 1
        for size in [1, 100, 500] {
            let entries = (0..<size).map { _ in c.entry(token, staff: c.doctor.address) }
            let started = ContinuousClock.now
            let receipt = try await c.send(c.hospital, MedicalAccessContract.logAccess(firstSequence: expected, entries))
            let elapsed = ContinuousClock.now - started
            seconds[size] = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            gas[size] = receipt.gasUsed
            let events = receipt.logs.compactMap(c.contract.decode)
            #expect(events.count == size)
            #expect(events.allSatisfy { $0.name == "Accessed" })
            for (offset, (event, entry)) in zip(events, entries).enumerated() {
                #expect(try event.value("requestId").asBytes32() == entry.requestId)
                #expect(try event.value("patient").asAddress() == c.patient.address)
                #expect(try event.value("sequence").asUInt64() == expected + UInt64(offset))
            }
            expected += UInt64(size)
            #expect(try await c.contract.logHead(of: c.hospital.address) == LogHead(sequence: expected - 1, blockNumber: receipt.blockNumber))
        }
        print("logAccess gas, one grant: 1 entry \(gas[1]!), 100 entries \(gas[100]!) (\(gas[100]! / 100)/entry), 500 entries \(gas[500]!) (\(gas[500]! / 500)/entry)")
        print("logAccess on the dev chain (estimate + send + receipt): " + [1, 100, 500].map { "\($0) entries \(Int(seconds[$0]! * 1000)) ms = \(Int(Double($0) / seconds[$0]!)) accesses/s" }.joined(separator: ", "))
        // Denials of 100 different records (each one read cold): the other end of the range.
        let denials = (0..<100).map { _ in c.entry(Bytes32.random(), staff: c.doctor.address, outcome: 5, recordId: Bytes32.random()) }
        let denied = try await c.log(c.hospital, denials)
        print("logAccess gas, 100 denials of distinct records: \(denied.gasUsed) (\(denied.gasUsed / 100)/entry)")

        // Out of sequence: a batch must start right after the last number.
        let head = try await c.contract.logHead(of: c.hospital.address).sequence
        let fresh = c.entry(token, staff: c.doctor.address)
        try await c.expectRevert("OutOfSequence", c.hospital, MedicalAccessContract.logAccess(firstSequence: head + 2, [fresh]))
        try await c.expectRevert("OutOfSequence", c.hospital, MedicalAccessContract.logAccess(firstSequence: 0, [fresh]))
        // A replayed batch reverts whole: nothing is logged twice.
        let batch = try MedicalAccessContract.logAccess(firstSequence: head + 1, [fresh])
        try await c.send(c.hospital, batch)
        try await c.expectRevert("OutOfSequence", c.hospital, batch)
        #expect(try await c.contract.logHead(of: c.hospital.address).sequence == head + 1)
        do {
            _ = try await c.contract.client.call(CallRequest(from: c.hospital.address, to: c.contract.address, data: batch))
            Issue.record("a replayed batch was accepted")
        } catch let error as JSONRPCError {
            // The refusal names where the log stands, so a writer can find what landed.
            let reason = MedicalAccessABI.revertReason(error.revertData ?? [])
            guard case .custom("OutOfSequence", let arguments) = reason else { Issue.record("got \(reason)"); return }
            #expect(try arguments.map { try $0.asUInt64() } == [head + 2, head + 1])
        }
        try await c.expectRevert("EmptyBatch", c.hospital, MedicalAccessContract.logAccess(firstSequence: head + 2, []))
        try await c.expectRevert("NotCustodian", c.stranger, MedicalAccessContract.logAccess(firstSequence: 1, [fresh]))

        // A served entry that does not match its grant is logged, under its number, as served
        // without a grant: the release is an incident, not a hole in the log.
        let second = Bytes32.random()
        try await c.send(c.hospital, MedicalAccessContract.anchorRecord(c.anchor(second)))
        let mismatched = [
            c.entry(token, staff: c.otherDoctor.address), c.entry(token, staff: c.doctor.address, recordId: second),
            c.entry(Bytes32.random(), staff: c.doctor.address),
        ]
        let incident = try await c.log(c.hospital, mismatched)
        let incidents = incident.logs.compactMap(c.contract.event)
        #expect(incidents.count == 3)
        for case .accessed(let accessed) in incidents {
            #expect(accessed.entry.outcome == AccessOutcome.servedWithoutGrant.rawValue)
            #expect(accessed.patient == c.patient.address)
        }
        // Another hospital cannot log a served access to a record it does not hold by staff it
        // did not register, even as an incident.
        try await c.expectRevert(
            "ForeignDenial", c.otherHospital, MedicalAccessContract.logAccess(firstSequence: 1, [c.entry(otherToken, staff: c.doctor.address)]))
        // A denial is logged without a grant, by the record's custodian.
        try await c.log(c.hospital, [c.entry(Bytes32.random(), staff: c.stranger.address, outcome: 5)])
        // A hospital speaks only of its own: denials naming another's record and another's
        // staff are refused; naming its own staff (for any record) they are logged.
        try await c.expectRevert(
            "ForeignDenial", c.otherHospital, MedicalAccessContract.logAccess(firstSequence: 1, [c.entry(Bytes32.random(), staff: c.doctor.address, outcome: 6)]))
        // Each hospital numbers its own log: the other hospital's first entry is its number 1.
        let foreign = try await c.log(c.otherHospital, [c.entry(Bytes32.random(), staff: c.otherDoctor.address, outcome: 6)])
        #expect(try foreign.logs.compactMap(c.contract.decode).first?.value("sequence").asUInt64() == 1)
        // ...but it does not name this hospital's patient: their feed is not another's to fill.
        let foreignEvent = try #require(foreign.logs.compactMap(c.contract.decode).first)
        #expect(try foreignEvent.value("patient").asAddress() == .zero)
        let own = try await c.log(c.hospital, [c.entry(Bytes32.random(), staff: c.otherDoctor.address, outcome: 6)])
        #expect(try own.logs.compactMap(c.contract.decode).first?.value("patient").asAddress() == c.patient.address)
        try await c.log(c.otherHospital, [c.entry(Bytes32.random(), staff: c.otherDoctor.address, outcome: 5, recordId: Bytes32.random())])
        // More than the maximum is refused by the ABI bound.
        let tooMany = (0..<501).map { _ in c.entry(token, staff: c.doctor.address) }
        await #expect(throws: SubmissionError.self) {
            try await c.send(c.hospital, MedicalAccessContract.logAccess(firstSequence: try await c.next(c.hospital), tooMany))
        }
    }

    @Test("numbers are per custodian: another hospital cannot move or take this one's")
    func sequencesPerCustodian() async throws {
        let c = try await Consortium.make()
        let token = try await c.grant(to: c.doctor)
        // Hospital B logs a denial (of its own doctor) under the request id hospital A is about
        // to log a served access with, numbered 1 in B's log.
        let served = c.entry(token, staff: c.doctor.address)
        let squatter = AccessEntry(
            requestId: served.requestId, token: Bytes32.random(), recordId: Bytes32.random(), staff: c.otherDoctor.address,
            purpose: 1, outcome: 6, accessedAt: served.accessedAt, commitment: Bytes32.random())
        try await c.send(c.otherHospital, MedicalAccessContract.logAccess(firstSequence: 1, [squatter]))
        #expect(try await c.contract.logHead(of: c.otherHospital.address).sequence == 1)
        #expect(try await c.contract.logHead(of: c.hospital.address) == LogHead(sequence: 0, blockNumber: 0))
        // A's own entry is still its number 1.
        let receipt = try await c.send(c.hospital, MedicalAccessContract.logAccess(firstSequence: 1, [served]))
        #expect(try await c.contract.logHead(of: c.hospital.address) == LogHead(sequence: 1, blockNumber: receipt.blockNumber))
        try await c.expectRevert("OutOfSequence", c.hospital, MedicalAccessContract.logAccess(firstSequence: 1, [served]))
    }

    @Test("grants die with the registration they were made under")
    func grantsFollowRegistration() async throws {
        let c = try await Consortium.make()
        let token = try await c.grant(to: c.doctor)
        let grant = try #require(try await c.contract.grant(token))
        let registration = try await c.contract.staff(c.doctor.address)
        #expect(grant.staffCustodian == c.hospital.address && grant.staffEpoch == registration.epoch && registration.epoch == 1)
        _ = try await c.contract.call(MedicalAccessABI.checkGrant, [.bytes32(token), .address(c.doctor.address)])

        // Hospital A off-boards the doctor; hospital B hires them.
        try await c.send(c.hospital, MedicalAccessContract.deregisterStaff(c.doctor.address))
        await Self.expectViewRevert("StaffNotRegistered", c.contract, [.bytes32(token), .address(c.doctor.address)])
        #expect(try await c.contract.staff(c.doctor.address) == StaffRegistration(custodian: .zero, epoch: 1, registeredAt: registration.registeredAt))
        try await c.send(c.otherHospital, MedicalAccessContract.registerStaff(c.doctor.address))
        let rehired = try await c.contract.staff(c.doctor.address)
        #expect(rehired.custodian == c.otherHospital.address && rehired.epoch == 2)
        // A's old grant stays dead.
        await Self.expectViewRevert("RegistrationChanged", c.contract, [.bytes32(token), .address(c.doctor.address)])
        // A grant made now is for the new registration.
        let fresh = try await c.grant(to: c.doctor)
        _ = try await c.contract.call(MedicalAccessABI.checkGrant, [.bytes32(fresh), .address(c.doctor.address)])
        #expect(try await c.contract.grant(fresh)?.staffCustodian == c.otherHospital.address)

        // Deregistered and registered again by the same hospital: also a new registration.
        try await c.send(c.otherHospital, MedicalAccessContract.deregisterStaff(c.doctor.address))
        try await c.send(c.otherHospital, MedicalAccessContract.registerStaff(c.doctor.address))
        await Self.expectViewRevert("RegistrationChanged", c.contract, [.bytes32(fresh), .address(c.doctor.address)])
        #expect(try await c.contract.staff(c.doctor.address).epoch == 3)
    }

    @Test("publish anchors and logs in one transaction")
    func publish() async throws {
        let c = try await Consortium.make()
        let newRecord = Bytes32.random()
        let token = try await c.grant(to: c.doctor)
        let receipt = try await c.send(c.hospital, MedicalAccessContract.publish(
            anchors: [c.anchor(newRecord)], firstSequence: 1, entries: [c.entry(token, staff: c.doctor.address)]))
        #expect(receipt.logs.compactMap(c.contract.decode).map(\.name) == ["RecordAnchored", "Accessed"])
        #expect(try await c.contract.record(newRecord) != nil)
        try await c.expectRevert("EmptyBatch", c.hospital, MedicalAccessContract.publish(anchors: [], firstSequence: 2, entries: []))
        try await c.expectRevert("RecordAlreadyAnchored", c.hospital, MedicalAccessContract.publish(anchors: [c.anchor(newRecord)], firstSequence: 2, entries: []))
        // Anchors alone do not read or move the numbers.
        try await c.send(c.hospital, MedicalAccessContract.publish(anchors: [c.anchor(Bytes32.random())], firstSequence: 0, entries: []))
        try await c.expectRevert(
            "OutOfSequence", c.hospital, MedicalAccessContract.publish(anchors: [c.anchor(Bytes32.random())], firstSequence: 1, entries: [c.entry(token, staff: c.doctor.address)]))
        #expect(try await c.contract.logHead(of: c.hospital.address).sequence == 1)
    }

    @Test("the outbox's computed gas bound covers a heavy round: a custodian's first, 20 anchors and 100 entries read cold")
    func gasBoundCoversHeavyRound() async throws {
        let c = try await Consortium.make()
        let records = (0..<20).map { _ in Bytes32.random() }
        let anchors = records.map { id in
            RecordAnchorInput(recordId: id, patient: c.patient.address, contentHash: Bytes32.random(), encryptedAddress: (0..<128).map { _ in UInt8.random(in: 1...255) })
        }
        // Served entries naming no grant (logged as served without one, reading the record
        // cold), half for this round's records and half for records nobody holds (named by the
        // custodian's own staff), each with its own token.
        let entries = (0..<100).map { i in
            c.entry(Bytes32.random(), staff: c.doctor.address, recordId: i % 2 == 0 ? records[i / 2 % records.count] : Bytes32.random())
        }
        let receipt = try await c.send(c.hospital, MedicalAccessContract.publish(anchors: anchors, firstSequence: 1, entries: entries), gasLimit: 10_000_000)
        let bound = OutboxBatchRules.gasBound(.init(entries: 100, anchors: 20))
        print("publish of 20 anchors and 100 cold entries: \(receipt.gasUsed) gas; the outbox's bound \(bound)")
        #expect(receipt.gasUsed < bound)
    }

    @Test("every event type decodes with its fields")
    func events() async throws {
        let c = try await Consortium.make()
        let client = try DevChain.client()
        try await c.send(c.doctor, MedicalAccessContract.requestAccess(c.recordId, purpose: .emergencyTreatment))
        let token = try await c.grant(to: c.doctor)
        try await c.log(c.hospital, [c.entry(token, staff: c.doctor.address)])
        try await c.send(c.patient, MedicalAccessContract.revoke(token))
        // Break-glass: a permission, rules, a patient's stance, a declaration, a refused one, a review.
        try await c.send(c.hospital, MedicalAccessContract.setEmergencyStaff(c.doctor.address, allowed: true))
        try await c.send(c.hospital, MedicalAccessContract.setEmergencyRules(window: 3600, dailyLimit: 5))
        let emergency = try #require(try await EmergencyContractTests.declare(c, c.doctor).id)
        try await c.send(c.hospital, MedicalAccessContract.reviewEmergency(emergency, reviewer: c.stranger.address, verdict: 2, note: Bytes32.random()))
        try await c.send(c.patient, MedicalAccessContract.setEmergencyPolicy(.refuse))
        #expect(try await EmergencyContractTests.declare(c, c.doctor).why == 1)
        try await c.send(c.hospital, MedicalAccessContract.deregisterStaff(c.doctor.address))
        try await c.send(c.hospital, MedicalAccessContract.setGateway("https://mdrs.st-elsewhere.example"))
        try await c.send(c.hospital, MedicalAccessContract.setDirectory(Bytes32.keccak(Array("a directory".utf8))))
        try await c.send(c.admin, MedicalAccessContract.deregisterCustodian(c.otherHospital.address))

        let logs = try await client.logs(LogFilter(fromBlock: .earliest, addresses: [c.contract.address]))
        let events = logs.compactMap(c.contract.decode)
        #expect(Set(events.map(\.name)) == Set(MedicalAccessABI.events.map(\.name)))
        func first(_ name: String) throws -> DecodedEvent { try #require(events.first { $0.name == name }) }
        #expect(try first("CustodianRegistered").value("name").asString() == "St. Elsewhere")
        #expect(try first("CustodianDeregistered").value("custodian").asAddress() == c.otherHospital.address)
        #expect(try first("CustodianGatewayChanged").value("gateway").asString() == "https://mdrs.st-elsewhere.example")
        #expect(try first("CustodianDirectoryChanged").value("digest").asBytes32() == Bytes32.keccak(Array("a directory".utf8)))
        #expect(try first("StaffRegistered").value("custodian").asAddress() == c.hospital.address)
        #expect(try first("StaffRegistered").value("epoch").asUInt64() == 1)
        #expect(try first("StaffDeregistered").value("staff").asAddress() == c.doctor.address)
        #expect(try first("RecordAnchored").value("encryptedAddress").asBytes() == Array(repeating: 0xAB, count: 89))
        #expect(try first("AccessRequested").value("purpose").asUInt64() == UInt64(PurposeOfUse.emergencyTreatment.rawValue))
        #expect(try first("Granted").value("recordId").asBytes32() == c.recordId)
        #expect(try first("Granted").value("staffCustodian").asAddress() == c.hospital.address)
        #expect(try first("Granted").value("staffEpoch").asUInt64() == 1)
        #expect(try first("Revoked").value("token").asBytes32() == token)
        #expect(try first("Accessed").value("custodian").asAddress() == c.hospital.address)
        #expect(try first("EmergencyStaffChanged").value("allowed").asBool())
        #expect(try first("EmergencyRulesChanged").value("window").asUInt64() == 3600)
        #expect(try first("EmergencyPolicyChanged").value("policy").asUInt64() == 2)
        #expect(try first("EmergencyDeclared").value("emergency").asBytes32() == emergency)
        #expect(try first("EmergencyRefused").value("why").asUInt64() == 1)
        #expect(try first("EmergencyReviewed").value("verdict").asUInt64() == 2)

        // Filtering by an indexed topic: the patient's accesses only.
        let accessed = MedicalAccessABI.accessed
        let byPatient = try await client.logs(LogFilter(
            fromBlock: .earliest, addresses: [c.contract.address],
            topics: [[accessed.topic], nil, nil, [try ABIEvent.topic(for: .address(c.patient.address), as: .address)]]))
        #expect(byPatient.count == 1)
        let byStranger = try await client.logs(LogFilter(
            fromBlock: .earliest, addresses: [c.contract.address],
            topics: [[accessed.topic], nil, [try ABIEvent.topic(for: .address(c.stranger.address), as: .address)]]))
        #expect(byStranger.isEmpty)
    }
}

enum GrantStateProbe {
    static func token(of values: [ABIValue]) throws -> Bytes32 {
        try values[0].asArray()[2].asBytes32()
    }
}
