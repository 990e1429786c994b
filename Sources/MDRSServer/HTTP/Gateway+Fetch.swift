import EthereumCore
import Foundation
import HTTPTypes
import Hummingbird
import MDRSCore
import MDRSPostgres
import MDRSProtocol
import NIOCore

extension Gateway {
    /// What a fetch resolved to, so far: filled in as the checks pass, logged whatever happens.
    struct FetchAttempt {
        var requestId = Bytes32.random()
        var token = Bytes32.zero
        var recordId = Bytes32.zero
        var staff = Address.zero
        var patient: Address?
        var purpose: UInt8 = 0
        var signatureHash = Bytes32.zero
        /// The signer is registered staff of some custodian (at the head): only then is a
        /// refusal worth a row. Before that it is anyone's junk, and only counted.
        var registration: StaffRegistration?
        /// The request passed the time window and its nonce was claimed: only such refusals
        /// can be decisions worth the chain (a replayed or stale request is anyone's).
        var fresh = false
        /// The grant names a record this custodian holds.
        var recordHeldHere = false
        var range: ClosedRange<Int64>?
        /// The served row is written (strict mode may still refuse afterwards).
        var servedRowWritten = false
    }

    /// Serves `GET /v1/access/{encryptedAddress}`.
    public func fetch(_ request: Request, encryptedAddress: String) async throws -> Response {
        var attempt = FetchAttempt()
        do {
            return try await authorizeAndStream(request, encryptedAddress: encryptedAddress, attempt: &attempt)
        } catch {
            var refusal = APIError(error)
            if refusal.code == .internalError {
                logger.error("fetch failed", metadata: ["request": "\(attempt.requestId)", "error": "\(error)"])
            }
            if attempt.servedRowWritten {
                // Strict mode refused after the authorised access was logged: that row stands
                // (the decision was made); this refusal gets its own id and stays local.
                attempt.requestId = Bytes32.random()
            }
            if await logRefusal(refusal, attempt: attempt) {
                refusal.headers[.mdrsRequestId] = attempt.requestId.hex
            }
            metrics.request(route: "fetch", outcome: refusal.code.rawValue)
            throw refusal
        }
    }

    private func authorizeAndStream(_ request: Request, encryptedAddress: String, attempt: inout FetchAttempt) async throws -> Response {
        let fields = try SignedFields.query(request) ?? .headers(request)
        let signed = try signedHeaders(fields)
        attempt.signatureHash = signed.signatureHash
        attempt.token = try field(fields, SignedRequest.Header.token) { try Bytes32($0) }
        let purpose = try field(fields, SignedRequest.Header.purpose) { PurposeOfUse(code: $0) ?? UInt8($0).flatMap(PurposeOfUse.init(rawValue:)) }
        attempt.purpose = purpose.rawValue
        try await checkReady(for: .fetch)

        let typedData = SignedRequest.fetch(
            token: attempt.token, encryptedAddress: encryptedAddress, purpose: purpose, nonce: signed.nonce,
            issuedAt: signed.issuedAt, custodian: custodian, chainId: chainId, contract: contract)
        let signer = try self.signer(of: typedData, signed)
        attempt.staff = signer
        // Registered staff first, from the staff directory: a stranger's key (and any 65 bytes
        // recover one) costs no database row, no nonce and no chain read.
        guard let registration = try await chain.staff(signer) else {
            throw APIError(.staffNotRegistered, "the signer is not registered staff of any custodian")
        }
        attempt.registration = registration
        try await checkFreshness(signer: signer, signed, window: fields.isSignedURL ? configuration.signedURLWindow : nil)
        attempt.fresh = true

        guard let grant = try await chain.grant(attempt.token) else {
            throw APIError(.grantNotFound, "no grant has this token")
        }
        attempt.recordId = grant.recordId
        attempt.patient = grant.patient
        attempt.recordHeldHere = grant.custodian == custodian
        // A grant just made may have been read at a newer head than the registration: decide on
        // one head (the registration is cached per block, so this costs nothing when it is the same).
        guard let current = try await chain.staff(signer) else {
            throw APIError(.staffNotRegistered, "the signer is not registered staff of any custodian")
        }
        attempt.registration = current
        guard grant.staff == signer else {
            throw APIError(.notGrantee, "the request is not signed by the staff member the grant names")
        }
        guard !grant.revoked else { throw APIError(.grantRevoked, "the patient revoked this grant") }
        let now = try chain.now()
        guard now < grant.expiresAt else {
            throw APIError(.grantExpired, "the grant expired at \(grant.expiresAt)")
        }
        guard grant.staffCustodian == current.custodian, grant.staffEpoch == current.epoch else {
            throw APIError(
                .registrationChanged,
                "the grant was made while the staff member was registered under another hospital or an earlier registration; the patient must grant again")
        }
        guard grant.custodian == custodian else {
            throw APIError(.wrongCustodian, "the grant is for a record held by another custodian")
        }
        let address: RecordAddress
        do { address = try sealer.open(encryptedAddress) } catch { throw APIError(error) }
        guard address.recordId == grant.recordId else {
            throw APIError(.addressMismatch, "the encrypted address names another record than the grant")
        }
        let record = try await store.record(grant.recordId)
        guard let anchor = try await chain.anchor(grant.recordId), anchor.contentHash == record.sha256,
            anchor.patient == record.patient
        else {
            logger.error("stored record does not match its on-chain anchor", metadata: ["record": "\(record.id)"])
            throw APIError(.recordConflict, "the stored record does not match its on-chain anchor")
        }
        let range: ClosedRange<Int64>?
        do {
            range = try RangeHeader.parse(request.headers[.range], size: record.size)
        } catch var error as APIError {
            error.headers[.contentRange] = "bytes */\(record.size)"
            throw error
        }
        attempt.range = range

        let reader = try store.read(record, range: range)
        let access = accessRecord(attempt, outcome: .served, reason: "served", accessedAt: now)
        try await outbox.insert(access, onChain: true)
        attempt.servedRowWritten = true
        outboxStatus.noteInsert(.served)
        if configuration.strict {
            try await waitForConfirmation(access.requestId)
        }
        metrics.request(route: "fetch", outcome: "served")
        logger.info("record released", metadata: ["request": "\(access.requestId)", "record": "\(record.id)", "staff": "\(signer)"])
        return response(record: record, reader: reader, requestId: access.requestId, partial: range != nil)
    }

    private func response(record: StoredRecord, reader: RecordReader, requestId: Bytes32, partial: Bool) -> Response {
        // The content type is what the uploader declared: never let a browser sniff it into
        // something executable, and make it a download rather than a page of this origin.
        var headers: HTTPFields = [
            .contentType: record.contentType,
            .contentDisposition: "attachment; filename=\"\(record.id.hex.dropFirst(2)).bin\"",
            .xContentTypeOptions: "nosniff",
            .acceptRanges: "bytes",
            .cacheControl: "no-store",
            .mdrsRequestId: requestId.hex,
            .mdrsRecordSHA256: record.sha256.hex,
        ]
        if partial, let range = reader.range {
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(record.size)"
        }
        let metrics = self.metrics
        let body = ResponseBody(contentLength: Int(reader.length)) { writer in
            for try await buffer in reader {
                try await writer.write(buffer)
                metrics.bytesStreamed(buffer.readableBytes, direction: "out")
            }
            try await writer.finish(nil)
        }
        return Response(status: partial ? .partialContent : .ok, headers: headers, body: body)
    }

    func accessRecord(_ attempt: FetchAttempt, outcome: AccessOutcome, reason: String, accessedAt: UInt64) -> AccessRecord {
        AccessRecord(
            requestId: attempt.requestId, token: attempt.token, recordId: attempt.recordId, staff: attempt.staff,
            patient: attempt.patient, custodian: custodian, purpose: attempt.purpose, outcome: outcome, reason: reason,
            accessedAt: accessedAt, rangeStart: attempt.range?.lowerBound, rangeEnd: attempt.range?.upperBound,
            signatureHash: attempt.signatureHash)
    }

    /// Logs a refusal of a request signed by registered staff: locally, and on-chain too when
    /// the configuration asks for it, the request was fresh, and the custodian may speak of it
    /// (the record is held here or the signer is its own staff: the contract's rule). Returns
    /// whether a row was written.
    ///
    /// Anything else is only counted: a stranger's request (any 65 bytes recover *some* address)
    /// must not grow the database or spend the custodian's gas, and a registered signer's
    /// refusals are logged up to `access.logged_refusals_per_minute`, so that no single key can
    /// flood the log or push the outbox past its stall bound.
    private func logRefusal(_ refusal: APIError, attempt: FetchAttempt) async -> Bool {
        guard let registration = attempt.registration else {
            metrics.refusalUnlogged("unknown_signer")
            return false
        }
        guard refusalBudget.allowRow(attempt.staff, code: refusal.code) else {
            metrics.refusalUnlogged("over_budget")
            logger.debug("refusal over its signer's budget; tallied", metadata: ["staff": "\(attempt.staff)", "code": "\(refusal.code.rawValue)"])
            return false
        }
        // Outages, and the gateway's own faults, are not decisions about a person: never on-chain.
        let outage: Set<APIError.Code> = [
            .chainUnavailable, .chainDisagreement, .auditLogStalled, .databaseUnavailable, .custodianInactive, .internalError,
        ]
        var onChain = attempt.fresh && configuration.outbox.logDenialsOnChain && !attempt.servedRowWritten
            && !outage.contains(refusal.code) && (attempt.recordHeldHere || registration.custodian == custodian)
        if onChain, registration.custodian != custodian, !refusalBudget.allowForeignOnChain(registration.custodian) {
            onChain = false
            metrics.refusalUnlogged("foreign_budget")
        }
        let access = accessRecord(
            attempt, outcome: Self.outcome(for: refusal.code), reason: refusal.code.rawValue,
            accessedAt: (try? chain.now()) ?? UInt64(Date().timeIntervalSince1970))
        do {
            try await outbox.insert(access, onChain: onChain)
            if onChain { outboxStatus.noteInsert(.denial) }
        } catch {
            logger.error("could not log a refused fetch", metadata: ["request": "\(access.requestId)", "error": "\(error)"])
            return false
        }
        logger.notice("fetch refused", metadata: ["request": "\(access.requestId)", "code": "\(refusal.code.rawValue)", "staff": "\(attempt.staff)"])
        return true
    }

    static func outcome(for code: APIError.Code) -> AccessOutcome {
        switch code {
        case .signatureMissing, .signatureInvalid: .signatureInvalid
        case .requestStale: .requestStale
        case .nonceReused: .nonceReused
        case .grantNotFound: .grantUnknown
        case .notGrantee: .notGrantee
        case .grantRevoked: .grantRevoked
        case .grantExpired: .grantExpired
        case .staffNotRegistered: .staffNotRegistered
        case .registrationChanged: .registrationChanged
        case .addressInvalid: .addressInvalid
        case .wrongCustodian: .wrongCustodian
        case .addressMismatch: .addressMismatch
        case .recordNotFound: .recordNotFound
        case .recordErased: .recordErased
        case .recordConflict: .recordConflict
        default: .refused
        }
    }

    /// Strict mode: wait until the access row is on-chain before the first byte leaves.
    private func waitForConfirmation(_ requestId: Bytes32) async throws {
        let deadline = ContinuousClock.now + configuration.strictTimeout
        while ContinuousClock.now < deadline {
            switch try await outbox.chainState(of: requestId) {
            case "confirmed": return
            case "rejected": throw APIError(.internalError, "the contract refused to log this access")
            default: try await Task.sleep(for: .milliseconds(50))
            }
        }
        throw APIError(.auditLogUnconfirmed, "the access was not confirmed on-chain within \(configuration.strictTimeout); nothing was released")
    }
}
