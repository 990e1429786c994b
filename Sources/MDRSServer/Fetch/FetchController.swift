import EthereumCore
import HTTPTypes
import Hummingbird
import Logging
import MDRSChain
import MDRSCore
import MDRSPostgres
import MDRSProtocol

/// `GET /v1/access/{encryptedAddress}`: a staff member's signed fetch, checked against the
/// chain's grant and the record's anchor, logged before the first byte, streamed back.
struct FetchController: Sendable {
    let authenticator: RequestAuthenticator
    let gate: ReadinessGate
    let chain: ChainState
    let vault: RecordVault
    let journal: AccessJournal
    let policy: AccessPolicy
    /// A signed URL's narrower time window.
    let signedURLWindow: Duration

    /// `client`: the requester's IP address as the connection shows it, for the audit trail.
    func fetch(_ request: Request, encryptedAddress: String, client: String?, logger: Logger) async throws -> Response {
        var attempt = FetchAttempt()
        attempt.clientAddress = client
        do {
            return try await authorizeAndStream(request, encryptedAddress: encryptedAddress, attempt: &attempt, logger: logger)
        } catch {
            var refusal = APIError(error)
            if refusal.isGatewayFault {
                logger.error("fetch failed", metadata: ["request": "\(attempt.requestId)", "error": "\(ErrorDescription.text(error))"])
            }
            if let nonce = attempt.nonce {
                // Checked in time but refused before the served row claimed the nonce: claim it
                // now, so the refusal is a fresh decision (or, if it was used, a replay's).
                do {
                    try attempt.settleNonce(claimed: try await authenticator.nonces.claim(nonce))
                } catch let replay as APIError {
                    refusal = replay
                } catch {
                    // Not known to be fresh: answer as the database's failure, not with the
                    // decision (a replayer must not learn it while the nonce cannot be checked).
                    logger.error(
                        "could not claim the nonce of a refused fetch",
                        metadata: ["request": "\(attempt.requestId)", "error": "\(ErrorDescription.text(error))"])
                    refusal = APIError(.databaseUnavailable, "the gateway's database could not be reached; try again")
                }
            }
            if attempt.servedRowWritten {
                // Strict mode refused after the authorised access was logged: that row stands
                // (the decision was made); this refusal gets its own id and stays local.
                attempt.requestId = Bytes32.random()
            }
            let accessedAt = (try? chain.now()) ?? authenticator.clock.unixTime
            if await journal.logRefusal(refusal, attempt: attempt, policy: policy, accessedAt: accessedAt, logger: logger) {
                refusal.headers[.mdrsRequestId] = attempt.requestId.hex
            }
            throw refusal
        }
    }

    private func authorizeAndStream(
        _ request: Request, encryptedAddress: String, attempt: inout FetchAttempt, logger: Logger
    ) async throws -> Response {
        let fields = try SignedFields.query(request) ?? .headers(request)
        let signature = try authenticator.signature(fields)
        attempt.signatureHash = signature.hash
        attempt.token = try fields.require(SignedRequest.Header.token) { try Bytes32($0) }
        let purpose = try fields.require(SignedRequest.Header.purpose) { PurposeOfUse(code: $0) ?? UInt8($0).flatMap(PurposeOfUse.init(rawValue:)) }
        attempt.purpose = purpose.rawValue
        try await gate.check(for: .fetch)

        // A signed URL is checked against its own type: its signature cannot pass as headers.
        let sign = fields.isSignedURL ? SignedRequest.fetchLink : SignedRequest.fetch
        let typedData = sign(attempt.token, encryptedAddress, purpose, signature.nonce, signature.issuedAt, authenticator.domain)
        let signer = try authenticator.signer(of: typedData, signature)
        attempt.staff = signer
        // Registered staff first, from the staff directory: a stranger's key (and any 65 bytes
        // recover one) costs no database row, no nonce and no chain read.
        attempt.registration = try policy.registeredStaff(try await chain.staff(signer))
        // The nonce is claimed with the served row (one statement), or by the refusal.
        let nonce = try authenticator.freshness(signer: signer, signature, window: fields.isSignedURL ? signedURLWindow : nil)
        attempt.nonce = nonce

        let recordId: Bytes32
        let now: UInt64
        let outcome: AccessOutcome
        if let justification = try fields.text(SignedRequest.Header.emergencyJustification, maximumBytes: AccessPolicy.maximumJustificationBytes) {
            // Break-glass: the token is a declared emergency's id.
            let emergency = try policy.existingEmergency(try await chain.emergency(attempt.token))
            attempt.recordId = emergency.recordId
            attempt.patient = emergency.patient
            attempt.recordHeldHere = emergency.custodian == policy.custodian
            let registration = try policy.registeredStaff(try await chain.staff(signer))
            attempt.registration = registration
            now = try chain.now()
            try policy.checkEmergency(emergency, signer: signer, registration: registration, purpose: purpose, now: now)
            try policy.checkEmergencyPolicy(try await chain.emergencyPolicy(of: emergency.patient), registration: registration, emergency: emergency)
            try policy.checkJustification(justification, emergency: emergency)
            try policy.checkAddress(try vault.open(encryptedAddress), recordId: emergency.recordId, of: "the emergency")
            attempt.emergency = EmergencyRelease(emergency: emergency.id, reason: emergency.reason, justification: justification)
            recordId = emergency.recordId
            outcome = .servedEmergency
        } else {
            let grant = try policy.existingGrant(try await chain.grant(attempt.token))
            attempt.recordId = grant.recordId
            attempt.patient = grant.patient
            attempt.recordHeldHere = grant.custodian == policy.custodian
            // A grant just made may have been read at a newer head than the registration: decide
            // on one head (the registration is cached per block: no cost when it is the same).
            let registration = try policy.registeredStaff(try await chain.staff(signer))
            attempt.registration = registration
            try policy.checkGrantee(grant, signer: signer)
            now = try chain.now()
            try policy.checkValidity(grant, registration: registration, now: now)
            try policy.checkAddress(try vault.open(encryptedAddress), grant: grant)
            recordId = grant.recordId
            outcome = .served
        }
        let record = try await vault.record(recordId)
        do {
            try policy.checkAnchor(try await chain.anchor(recordId), record: record)
        } catch let error as APIError where error.code == .recordConflict {
            logger.error("stored record does not match its on-chain anchor", metadata: ["record": "\(record.id)"])
            throw error
        }
        let range: ClosedRange<Int64>?
        do {
            range = try RangeHeader.parse(request.headers[.range], size: record.size)
        } catch var error as APIError {
            error.headers[.contentRange] = "bytes */\(record.size)"
            throw error
        }
        attempt.range = range

        let reader = try vault.reader(record, range: range)
        // The name the download is saved under; metadata that fails to open is refused like a chunk.
        let fileName = try reader.document()?.fileName
        let access = attempt.record(custodian: policy.custodian, outcome: outcome, reason: "served", accessedAt: now)
        try await journal.logServed(access, claiming: nonce, attempt: &attempt)
        // The access row is the record of the release; this line is for tracing a request.
        logger.debug("record released", metadata: ["request": "\(access.requestId)", "record": "\(record.id)", "staff": "\(signer)"])
        return RecordResponse(
            record: record, reader: reader, requestId: access.requestId, partial: range != nil, fileName: fileName, metrics: vault.metrics
        ).response()
    }
}
