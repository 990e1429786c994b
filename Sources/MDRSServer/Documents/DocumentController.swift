import EthereumCore
import Hummingbird
import Logging
import MDRSChain
import MDRSCore
import MDRSPostgres
import MDRSProtocol

/// What records are: `GET /v1/patients/{patient}/documents` (a patient's records held here, by
/// title, type and date), `GET /v1/records/{recordId}/document` (one record's), and the same as
/// FHIR `DocumentReference` (`GET /fhir/DocumentReference?patient=`, `/fhir/DocumentReference/{id}`).
///
/// The metadata is PHI: readable by the patient, by staff holding a valid grant to the record
/// (a `DocumentRequest` with the grant's token), and by this custodian's records clerks (as the
/// staff directory names them). Every other signer is refused before any nonce row, so a
/// stranger's request costs nothing; nothing here is logged on-chain (see docs/decisions.md).
struct DocumentController: Sendable {
    let authenticator: RequestAuthenticator
    let gate: ReadinessGate
    let chain: ChainState
    let vault: RecordVault
    let policy: AccessPolicy
    let directory: StaffDirectoryStore
    let consortium: ConsortiumDirectory

    var custodian: Address { authenticator.domain.custodian }
    var chainId: String { String(authenticator.domain.chainId) }

    /// The patient's records held here, newest first. A `PatientRequest` over the request target,
    /// by the patient or a records clerk of this custodian.
    func patientDocuments(_ request: Request, patient text: String) async throws -> PatientDocuments {
        guard let patient = try? Address(text), patient != .zero else { throw APIError(.badRequest, "malformed patient address") }
        guard request.uri.query.map({ $0.isEmpty }) ?? true else { throw APIError(.badRequest, "this route takes no query parameters") }
        return try await documents(of: patient, request)
    }

    /// The documents of `patient` for a `PatientRequest` signed over `request`'s target.
    func documents(of patient: Address, _ request: Request) async throws -> PatientDocuments {
        let signature = try authenticator.signature(.headers(request))
        let signer = try authenticator.signer(
            of: SignedRequest.patient(
                patient, query: request.uri.description, nonce: signature.nonce, issuedAt: signature.issuedAt, domain: authenticator.domain),
            signature)
        if signer != patient { try await requireRecordsClerk(signer) }
        let found = try await vault.store.documents(of: patient)
        // Anyone is "the patient" of a key they just made: nothing here costs no nonce row.
        if !found.isEmpty || signer != patient { try await authenticator.claimFreshness(signer: signer, signature) }
        return PatientDocuments(
            patient: patient.checksummed, custodian: custodian.checksummed, documents: found.map { summary($0.record, $0.document) })
    }

    /// One record's document. A `DocumentRequest`: by the patient or a records clerk (no token),
    /// or by the grantee of `MDRS-Token`'s grant to this record, valid now.
    func document(_ request: Request, recordId: Bytes32) async throws -> (DocumentSummary, encryptedAddress: String?) {
        let fields = SignedFields.headers(request)
        let signature = try authenticator.signature(fields)
        let token = try request.headers[.mdrsToken].map { text in
            guard let token = try? Bytes32(text), token != .zero else { throw APIError(.badRequest, "malformed \(SignedRequest.Header.token)") }
            return token
        } ?? .zero
        let signer = try authenticator.signer(
            of: SignedRequest.document(
                recordId: recordId, token: token, nonce: signature.nonce, issuedAt: signature.issuedAt, domain: authenticator.domain),
            signature)
        let record: StoredRecord
        if token == .zero {
            // Record ids are public (anchored on-chain): whether one is held here tells nothing.
            record = try await vault.record(recordId)
            if record.patient != signer { try await requireRecordsClerk(signer) }
        } else {
            try await gate.check(for: .fetch)
            let registration = try policy.registeredStaff(try await chain.staff(signer))
            let grant = try policy.existingGrant(try await chain.grant(token))
            try policy.checkGrant(grant, signer: signer, registration: registration, now: try chain.now())
            guard grant.recordId == recordId else {
                throw APIError(.addressMismatch, "the grant is for another record than \(recordId.hex)")
            }
            record = try await vault.record(recordId)
        }
        try await authenticator.claimFreshness(signer: signer, signature)
        let encryptedAddress = try? vault.sealer.seal(recordId: recordId)
        return (summary(record, try vault.store.document(of: record)), encryptedAddress)
    }

    /// The signer is registered staff of this custodian and its directory lists them as a
    /// records clerk; refused otherwise, as "not the patient".
    private func requireRecordsClerk(_ signer: Address) async throws {
        let refusal = APIError(
            .notPatient, "only the patient, staff holding a valid grant (with \(SignedRequest.Header.token)) or a records clerk of this custodian may read what a record is")
        guard chain.mayBeStaff(signer), let registration = try await chain.staff(signer), registration.isRegistered,
            registration.custodian == custodian
        else { throw refusal }
        guard try await directory.member(signer)?.role == .recordsClerk else { throw refusal }
    }

    private func summary(_ record: StoredRecord, _ document: DocumentMetadata?) -> DocumentSummary {
        DocumentSummary(
            recordId: record.id.hex, patient: record.patient.checksummed, custodian: custodian.checksummed, document: document,
            contentType: record.contentType, size: record.size, sha256: record.sha256.hex,
            storedAt: UInt64(max(0, record.createdAt.timeIntervalSince1970)))
    }

    /// The custodian's name as the chain has it, for FHIR's `custodian.display`; nil if the
    /// chain cannot say now (the reference keeps the address).
    func hospitalName() async -> String? {
        try? await consortium.hospital(custodian).name
    }
}
