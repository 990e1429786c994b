import EthereumCore
import Foundation
import MDRSCore
import MDRSProtocol
import Testing

/// The fetch rules without PostgreSQL, a chain or HTTP: every refusal code, and the order in
/// which a request with several faults is refused.
@Suite("Access policy")
struct AccessPolicyTests {
    static let custodian = PrivateKey.random().address
    static let otherCustodian = PrivateKey.random().address
    static let doctor = PrivateKey.random().address
    static let patient = PrivateKey.random().address
    static let recordId = Bytes32.random()
    static let now: UInt64 = 1_800_000_000

    let policy = AccessPolicy(custodian: Self.custodian)
    let registration = StaffRegistration(custodian: Self.custodian, epoch: 1, registeredAt: 10)

    static func grant(
        staff: Address = doctor, custodian: Address = AccessPolicyTests.custodian, expiresAt: UInt64 = now + 3600,
        staffCustodian: Address = AccessPolicyTests.custodian, staffEpoch: UInt64 = 1, revoked: Bool = false
    ) -> GrantState {
        GrantState(
            token: .random(), patient: patient, staff: staff, recordId: recordId, custodian: custodian, expiresAt: expiresAt,
            staffCustodian: staffCustodian, staffEpoch: staffEpoch, revoked: revoked, grantedAt: 20, updatedAt: 20)
    }

    static func record(sha256: Bytes32 = Bytes32.keccak(Array("content".utf8)), patient: Address = patient) -> StoredRecord {
        StoredRecord(
            id: recordId, patient: patient, contentType: "text/plain", size: 7, sha256: sha256, chunkSize: 1 << 20, chunkCount: 1,
            keyId: "00", wrappedKey: [], createdAt: Date(timeIntervalSince1970: 0))
    }

    static func anchor(contentHash: Bytes32 = Bytes32.keccak(Array("content".utf8)), patient: Address = patient) -> AnchoredRecord {
        AnchoredRecord(recordId: recordId, patient: patient, custodian: custodian, contentHash: contentHash, encryptedAddress: [], anchoredAt: 20)
    }

    func code(_ body: () throws -> Void) -> APIError.Code? {
        do {
            try body()
            return nil
        } catch let error as APIError {
            return error.code
        } catch {
            Issue.record("not an APIError: \(error)")
            return nil
        }
    }

    @Test("a signer with no registration, or a deregistered one, is not staff")
    func unregistered() {
        #expect(code { _ = try policy.registeredStaff(nil) } == .staffNotRegistered)
        #expect(code { _ = try policy.registeredStaff(StaffRegistration(custodian: .zero, epoch: 3, registeredAt: 10)) } == .staffNotRegistered)
        #expect(code { _ = try policy.registeredStaff(registration) } == nil)
        // Another hospital's doctor may hold a grant to a record held here.
        #expect(code { _ = try policy.registeredStaff(StaffRegistration(custodian: Self.otherCustodian, epoch: 1, registeredAt: 10)) } == nil)
    }

    @Test("an unknown token is grant_not_found")
    func unknownGrant() {
        #expect(code { _ = try policy.existingGrant(nil) } == .grantNotFound)
    }

    @Test("each fault of a grant has its own code")
    func grantFaults() {
        let cases: [(GrantState, APIError.Code?)] = [
            (Self.grant(), nil),
            (Self.grant(staff: PrivateKey.random().address), .notGrantee),
            (Self.grant(revoked: true), .grantRevoked),
            (Self.grant(expiresAt: Self.now), .grantExpired),
            (Self.grant(staffEpoch: 0), .registrationChanged),
            (Self.grant(staffCustodian: Self.otherCustodian), .registrationChanged),
            (Self.grant(custodian: Self.otherCustodian), .wrongCustodian),
        ]
        for (grant, expected) in cases {
            #expect(code { try policy.checkGrant(grant, signer: Self.doctor, registration: registration, now: Self.now) } == expected)
        }
    }

    @Test("with several faults, the first in the documented order is the answer")
    func order() {
        let everythingWrong = Self.grant(
            staff: PrivateKey.random().address, custodian: Self.otherCustodian, expiresAt: 0, staffCustodian: Self.otherCustodian,
            staffEpoch: 9, revoked: true)
        var grant = everythingWrong
        var seen = [APIError.Code]()
        // Fix one fault at a time and watch the answer move down the list.
        let fixes: [(GrantState) -> GrantState] = [
            { Self.grant(custodian: $0.custodian, expiresAt: $0.expiresAt, staffCustodian: $0.staffCustodian, staffEpoch: $0.staffEpoch, revoked: $0.revoked) },
            { Self.grant(custodian: $0.custodian, expiresAt: $0.expiresAt, staffCustodian: $0.staffCustodian, staffEpoch: $0.staffEpoch) },
            { Self.grant(custodian: $0.custodian, staffCustodian: $0.staffCustodian, staffEpoch: $0.staffEpoch) },
            { Self.grant(custodian: $0.custodian) },
            { _ in Self.grant() },
        ]
        for fix in fixes {
            if let code = code({ try policy.checkGrant(grant, signer: Self.doctor, registration: registration, now: Self.now) }) {
                seen.append(code)
            }
            grant = fix(grant)
        }
        #expect(seen == [.notGrantee, .grantRevoked, .grantExpired, .registrationChanged, .wrongCustodian])
        #expect(code { try policy.checkGrant(grant, signer: Self.doctor, registration: registration, now: Self.now) } == nil)
    }

    @Test("the address must name the granted record, and the record must match its anchor")
    func recordChecks() {
        let grant = Self.grant()
        #expect(code { try policy.checkAddress(RecordAddress(recordId: Self.recordId, custodian: Self.custodian), grant: grant) } == nil)
        #expect(code { try policy.checkAddress(RecordAddress(recordId: .random(), custodian: Self.custodian), grant: grant) } == .addressMismatch)
        #expect(code { try policy.checkAnchor(Self.anchor(), record: Self.record()) } == nil)
        #expect(code { try policy.checkAnchor(nil, record: Self.record()) } == .recordConflict)
        #expect(code { try policy.checkAnchor(Self.anchor(contentHash: .random()), record: Self.record()) } == .recordConflict)
        #expect(code { try policy.checkAnchor(Self.anchor(patient: Self.doctor), record: Self.record()) } == .recordConflict)
    }

    @Test("only this custodian's staff may store")
    func storeSigner() {
        #expect(code { try policy.checkStoreSigner(registration) } == nil)
        #expect(code { try policy.checkStoreSigner(nil) } == .notCustodianStaff)
        #expect(code { try policy.checkStoreSigner(StaffRegistration(custodian: Self.otherCustodian, epoch: 1, registeredAt: 1)) } == .notCustodianStaff)
    }

    @Test("refusals go on-chain only when fresh, decided, not after a served row, and the contract lets this custodian speak of them")
    func onChainRule() {
        let foreign = StaffRegistration(custodian: Self.otherCustodian, epoch: 1, registeredAt: 1)
        func onChain(
            _ code: APIError.Code = .grantRevoked, registration: StaffRegistration? = nil, fresh: Bool = true, held: Bool = true,
            served: Bool = false, denials: Bool = true
        ) -> Bool {
            policy.logsOnChain(
                code, registration: registration ?? self.registration, fresh: fresh, recordHeldHere: held, servedRowWritten: served,
                denialsOnChain: denials)
        }
        #expect(onChain())
        #expect(!onChain(fresh: false))
        #expect(!onChain(served: true))
        #expect(!onChain(denials: false))
        for outage in AccessPolicy.outageCodes { #expect(!onChain(outage)) }
        // Own staff about a record held elsewhere: yes; another hospital's staff: only about a record held here.
        #expect(onChain(held: false))
        #expect(onChain(registration: foreign))
        #expect(!onChain(registration: foreign, held: false))
    }

    @Test("every refusal code maps to an outcome, the fetch refusals to their own")
    func outcomes() {
        #expect(AccessPolicy.outcome(for: .grantRevoked) == .grantRevoked)
        #expect(AccessPolicy.outcome(for: .registrationChanged) == .registrationChanged)
        #expect(AccessPolicy.outcome(for: .grantNotFound) == .grantUnknown)
        #expect(AccessPolicy.outcome(for: .badRequest) == .refused)
        let specific = APIError.Code.allCases.filter { AccessPolicy.outcome(for: $0) != .refused }
        #expect(Set(specific.map { AccessPolicy.outcome(for: $0) }).count == specific.count - 1)  // two signature codes share one
    }

    @Test("media types: type/subtype in ASCII, parameters allowed")
    func mediaTypes() {
        for good in ["text/plain", "application/pdf", "image/png", "text/plain; charset=utf-8", "application/fhir+json"] {
            #expect(MediaType.isValid(good), "\(good)")
        }
        for bad in ["", "text", "text/", "/plain", "text/plain/x", "tëxt/plain", "text/pla in", String(repeating: "a", count: 250) + "/plain1"] {
            #expect(!MediaType.isValid(bad), "\(bad)")
        }
    }
}
