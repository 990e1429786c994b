import EthereumCore
import Hummingbird
import Logging
import MDRSChain
import MDRSCore
import MDRSPostgres
import MDRSProtocol

/// `POST /v1/records` and `GET /v1/records/{id}/anchor`: a hospital system streams a record for
/// a patient, and follows its on-chain anchor.
struct StoreController: Sendable {
    let authenticator: RequestAuthenticator
    let gate: ReadinessGate
    let chain: ChainState
    let vault: RecordVault
    let outbox: OutboxStore
    let policy: AccessPolicy

    func store(_ request: Request, logger: Logger) async throws -> Response {
        let fields = SignedFields.headers(request)
        let signature = try authenticator.signature(fields)
        let patient = try fields.require(SignedRequest.Header.patient) { try Address($0) }
        let contentSHA256 = try fields.require(SignedRequest.Header.contentSHA256) { try Bytes32($0) }
        guard let contentType = request.headers[.contentType], MediaType.isValid(contentType) else {
            throw APIError(.badRequest, "a record needs a Content-Type: type/subtype, in ASCII, at most 255 bytes")
        }
        guard patient != .zero else { throw APIError(.badRequest, "the patient address is zero") }
        let length = request.headers[.contentLength].flatMap(Int64.init)
        if let length, length > vault.maximumRecordSize {
            throw APIError(.recordTooLarge, "the record exceeds the limit of \(vault.maximumRecordSize) bytes")
        }
        // What the record is, signed as the JSON text the header carries; stored in one form.
        let document = try request.headers[.mdrsDocument].map { header in
            do { return try DocumentMetadata.parse(header: header) } catch let error as DocumentMetadataError {
                throw APIError(.badRequest, error.message)
            }
        }
        let typedData = SignedRequest.store(
            patient: patient, contentType: contentType, contentSHA256: contentSHA256, document: document?.signedText ?? "", nonce: signature.nonce,
            issuedAt: signature.issuedAt, domain: authenticator.domain)
        try await gate.check(for: .store)
        let signer = try authenticator.signer(of: typedData, signature)
        // This custodian's staff before the nonce: a stranger's signature costs no row.
        try policy.checkStoreSigner(try await chain.staff(signer))
        try await authenticator.claimFreshness(signer: signer, signature)

        let (record, encryptedAddress) = try await vault.store(
            patient: patient, contentType: contentType, body: request.body, expectedLength: length,
            expectedSHA256: contentSHA256, document: document.map { Array($0.metadata.jsonText.utf8) }, logger: logger)
        gate.outboxStatus.noteInsert(.anchor)
        logger.info("record stored", metadata: ["record": "\(record.id)", "bytes": "\(record.size)", "staff": "\(signer)"])
        let body = StoreResponse(
            recordId: record.id.hex, encryptedAddress: Base64URL.encode(encryptedAddress), sha256: record.sha256.hex,
            size: record.size, contentType: contentType, patient: patient.checksummed, anchor: .pending, document: document?.metadata)
        return try Response.json(body, status: .created)
    }

    func anchorStatus(_ recordId: Bytes32) async throws -> Response {
        guard let status = try await outbox.anchorStatus(recordId) else {
            throw APIError(.recordNotFound, "no record \(recordId.hex) was stored here")
        }
        return try Response.json(status)
    }
}
