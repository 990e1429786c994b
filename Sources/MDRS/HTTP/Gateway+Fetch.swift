import Ethereum
import Foundation
import HTTPTypes
import Hummingbird
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
        var signed = false
        /// The request passed the time window and its nonce was claimed: only such refusals
        /// can be decisions worth the chain (a replayed or stale request is anyone's).
        var fresh = false
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
            await logRefusal(refusal, attempt: attempt)
            refusal.headers[.mdrsRequestId] = attempt.requestId.hex
            metrics.request(route: "fetch", outcome: refusal.code.rawValue)
            throw refusal
        }
    }

    private func authorizeAndStream(_ request: Request, encryptedAddress: String, attempt: inout FetchAttempt) async throws -> Response {
        let signed = try signedHeaders(request)
        attempt.signatureHash = signed.signatureHash
        attempt.token = try header(request, SignedRequest.Header.token) { try Bytes32($0) }
        let purpose = try header(request, SignedRequest.Header.purpose) { PurposeOfUse(code: $0) ?? UInt8($0).flatMap(PurposeOfUse.init(rawValue:)) }
        attempt.purpose = purpose.rawValue
        try await checkReady()

        let typedData = SignedRequest.fetch(
            token: attempt.token, encryptedAddress: encryptedAddress, purpose: purpose, nonce: signed.nonce,
            issuedAt: signed.issuedAt, custodian: custodian, chainId: chainId, contract: contract)
        let signer = try self.signer(of: typedData, signed)
        attempt.staff = signer
        attempt.signed = true
        try await checkFreshness(signer: signer, signed)
        attempt.fresh = true
        // Registered staff first: an unknown key costs one cached lookup, never a grant read.
        guard try await chain.staffCustodian(signer) != nil else {
            throw APIError(.staffNotRegistered, "the signer is not registered staff of any custodian")
        }

        guard let grant = try await chain.grant(attempt.token) else {
            throw APIError(.grantNotFound, "no grant has this token")
        }
        attempt.recordId = grant.recordId
        attempt.patient = grant.patient
        guard grant.staff == signer else {
            throw APIError(.notGrantee, "the request is not signed by the staff member the grant names")
        }
        guard !grant.revoked else { throw APIError(.grantRevoked, "the patient revoked this grant") }
        let now = try chain.now()
        guard now < grant.expiresAt else {
            throw APIError(.grantExpired, "the grant expired at \(grant.expiresAt)")
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
            range = try Self.parseRange(request.headers[.range], size: record.size)
        } catch var error as APIError {
            error.headers[.contentRange] = "bytes */\(record.size)"
            throw error
        }
        attempt.range = range

        let reader = try store.read(record, range: range)
        let access = accessRecord(attempt, outcome: .served, reason: "served", accessedAt: now)
        try await outbox.insert(access, onChain: true)
        attempt.servedRowWritten = true
        outboxStatus.noteInsert()
        if configuration.strict {
            try await waitForConfirmation(access.requestId)
        }
        metrics.request(route: "fetch", outcome: "served")
        logger.info("record released", metadata: ["request": "\(access.requestId)", "record": "\(record.id)", "staff": "\(signer)"])
        return response(record: record, reader: reader, requestId: access.requestId, partial: request.headers[.range] != nil && range != nil)
    }

    private func response(record: StoredRecord, reader: RecordReader, requestId: Bytes32, partial: Bool) -> Response {
        var headers: HTTPFields = [
            .contentType: record.contentType,
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

    /// Logs a refusal: always locally; on-chain too when the configuration asks for it and the
    /// signer is registered staff somewhere in the consortium. Any 65 bytes recover *some*
    /// address, so strangers' requests stay local: they cannot spend the custodian's gas or
    /// stall the outbox.
    private func logRefusal(_ refusal: APIError, attempt: FetchAttempt) async {
        var onChain = attempt.fresh && configuration.outbox.logDenialsOnChain && !attempt.servedRowWritten
            && refusal.code != .chainUnavailable && refusal.code != .auditLogStalled && refusal.code != .databaseUnavailable
            && refusal.code != .custodianInactive
        if onChain {
            onChain = ((try? await chain.staffCustodian(attempt.staff)) ?? nil) != nil
        }
        let access = accessRecord(
            attempt, outcome: Self.outcome(for: refusal.code), reason: refusal.code.rawValue,
            accessedAt: (try? chain.now()) ?? UInt64(Date().timeIntervalSince1970))
        do {
            try await outbox.insert(access, onChain: onChain)
            if onChain { outboxStatus.noteInsert() }
        } catch {
            logger.error("could not log a refused fetch", metadata: ["request": "\(access.requestId)", "error": "\(error)"])
        }
        logger.notice("fetch refused", metadata: ["request": "\(access.requestId)", "code": "\(refusal.code.rawValue)", "staff": "\(attempt.staff)"])
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

    /// Parses a single `bytes=` range (RFC 9110). nil means the whole record; several ranges are
    /// answered with the whole record, which the RFC allows.
    static func parseRange(_ header: String?, size: Int64) throws -> ClosedRange<Int64>? {
        guard let header else { return nil }
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst("bytes=".count)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw APIError(.rangeNotSatisfiable, "malformed Range header") }
        let range: ClosedRange<Int64>
        if parts[0].isEmpty {
            guard let suffix = Int64(parts[1]), suffix > 0, size > 0 else {
                throw APIError(.rangeNotSatisfiable, "unsatisfiable range \(header) for \(size) bytes")
            }
            range = Swift.max(0, size - suffix)...(size - 1)
        } else {
            guard let start = Int64(parts[0]), start < size else {
                throw APIError(.rangeNotSatisfiable, "unsatisfiable range \(header) for \(size) bytes")
            }
            let end = parts[1].isEmpty ? size - 1 : Swift.min(Int64(parts[1]) ?? -1, size - 1)
            guard end >= start else { throw APIError(.rangeNotSatisfiable, "unsatisfiable range \(header)") }
            range = start...end
        }
        return range
    }
}
