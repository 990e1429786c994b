import EthereumCore
import Hummingbird
import Logging
import MDRSChain
import MDRSCore
import MDRSIndexer
import MDRSPostgres
import MDRSProtocol

/// The access log's readers: `GET /v1/audit/accesses` and `GET /v1/audit/check` for this
/// custodian's auditors, and `GET /v1/patients/{patient}/accesses` for a patient (or an auditor).
/// All of them read PostgreSQL only: the gateway's index of the chain's entries and its own
/// rows, one page at a time.
struct AuditController: Sendable {
    let authenticator: RequestAuthenticator
    let auditors: [Address]
    let index: AccessIndexStore
    let indexer: AccessIndexer
    let localLog: AccessLogStore
    let checker: AuditChecker
    /// Who registers each staff member now, for the patient's answer.
    let chain: ChainState
    /// Where this gateway is on the network (`http.public_url`, or host and port): the FHIR
    /// AuditEvents' server agent.
    let serverAddress: String
    /// This hospital's staff by name, for the AuditEvents' agents.
    let directory: StaffDirectoryStore
    let logger: Logger
    /// The other hospitals' staff by name, from their published directories.
    var people: StaffDirectoryReader? = nil
    /// The emergencies released here and their reviews.
    var emergencyStore: EmergencyStore

    static let parameters: Set<String> = ["record", "patient", "staff", "outcome", "purpose", "from", "to", "after", "limit"]
    /// A patient's page names each staff member's hospital: a chain read per new name, so pages
    /// are smaller.
    static let maximumPatientLimit = 100

    /// Authenticates an auditor's request; the signed query is the request target as sent.
    func authenticate(_ request: Request) async throws {
        let signature = try authenticator.signature(.headers(request))
        let (signer, _) = try reader(of: request, signature, patient: nil, acceptingAuditRequest: true)
        try await authenticator.claimFreshness(signer: signer, signature)
    }

    /// Who signed a request for a patient's entries (`patient`) or the whole log: a
    /// PatientRequest by that patient or an auditor, or (`acceptingAuditRequest`) an
    /// AuditRequest by an auditor. Refused otherwise, before any nonce row: a stranger's
    /// signature costs nothing.
    func reader(
        of request: Request, _ signature: RequestAuthenticator.Signature, patient: Address?, acceptingAuditRequest: Bool
    ) throws -> (signer: Address, isAuditor: Bool) {
        let target = request.uri.description, domain = authenticator.domain
        if let patient {
            let signer = try authenticator.signer(
                of: SignedRequest.patient(patient, query: target, nonce: signature.nonce, issuedAt: signature.issuedAt, domain: domain),
                signature)
            if signer == patient || auditors.contains(signer) { return (signer, auditors.contains(signer)) }
        }
        if acceptingAuditRequest {
            let signer = try authenticator.signer(
                of: SignedRequest.audit(query: target, nonce: signature.nonce, issuedAt: signature.issuedAt, domain: domain), signature)
            if auditors.contains(signer) { return (signer, true) }
            if patient == nil { throw APIError(.notAuditor, "\(signer) is not an auditor of this custodian") }
        }
        throw APIError(.notPatient, "only the patient (or an auditor of this custodian) may read this patient's accesses")
    }

    static func filter(_ request: Request, allowed: Set<String> = parameters, maximumLimit: Int = AuditFilter.maximumLimit) throws -> AuditFilter {
        var filter = AuditFilter()
        let query = request.uri.queryParameters
        // A typo must not widen the answer to the whole log.
        for (name, _) in query where !allowed.contains(String(name)) {
            throw APIError(.badRequest, "unknown query parameter \(name); use \(allowed.sorted().joined(separator: ", "))")
        }
        // A repeated parameter is ambiguous (one of them would be silently ignored): refused.
        var seen = Set<Substring>()
        for (name, _) in query where !seen.insert(name).inserted {
            throw APIError(.badRequest, "query parameter \(name) is given more than once")
        }
        func parse<T>(_ name: String, _ make: (String) throws -> T?) throws -> T? {
            guard let text = query[name[...]].map(String.init) else { return nil }
            guard let value = try? make(text) else { throw APIError(.badRequest, "malformed query parameter \(name)") }
            return value
        }
        filter.record = try parse("record") { try Bytes32($0) }
        filter.patient = try parse("patient") { try Address($0) }
        filter.staff = try parse("staff") { try Address($0) }
        filter.outcome = try parse("outcome") { UInt8($0) }
        filter.purpose = try parse("purpose") { UInt8($0) }
        filter.from = try parse("from") { UInt64($0).flatMap { $0 <= UInt64(Int64.max) ? $0 : nil } }
        filter.to = try parse("to") { UInt64($0).flatMap { $0 <= UInt64(Int64.max) ? $0 : nil } }
        filter.after = try parse("after") { AuditCursor($0) }
        if let limit = try parse("limit", { Int($0) }) {
            guard (1...maximumLimit).contains(limit) else { throw APIError(.badRequest, "limit must be from 1 to \(maximumLimit)") }
            filter.limit = limit
        } else {
            filter.limit = min(AuditFilter.defaultLimit, maximumLimit)
        }
        return filter
    }

    func accesses(_ request: Request) async throws -> Response {
        try await authenticate(request)
        let filter = try Self.filter(request)
        var position = await catchUp()
        if position == nil { position = try await index.position() }
        let (entries, next) = try await page(filter)
        return try Response.json(AuditReport(
            custodian: authenticator.domain.custodian.checksummed, entries: entries, next: next?.text,
            indexedThroughBlock: position?.indexedThrough ?? -1))
    }

    /// One page of the joined log: the first `limit + 1` matches on each side after the cursor,
    /// merged, each entry completed from the other side by request id.
    func page(_ filter: AuditFilter) async throws -> ([AuditEntry], AuditCursor?) {
        let onChain = try await index.page(filter)
        let local = try await localLog.page(filter)
        let (keys, next) = AuditLog.page(onChain: onChain.map(\.key), local: local.map(\.key), limit: filter.limit)
        let wanted = Set(keys.map(\.requestId))
        var events = Dictionary(onChain.map { ($0.entry.requestId, $0) }, uniquingKeysWith: { a, _ in a }).filter { wanted.contains($0.key) }
        var rows = Dictionary(local.map { ($0.access.requestId, $0) }, uniquingKeysWith: { a, _ in a }).filter { wanted.contains($0.key) }
        events.merge(try await index.entries(requestIds: wanted.subtracting(events.keys)), uniquingKeysWith: { a, _ in a })
        rows.merge(try await localLog.rows(requestIds: wanted.subtracting(rows.keys)), uniquingKeysWith: { a, _ in a })
        return (AuditLog.entries(keys: keys, onChain: events, local: rows), next)
    }

    /// Brings the index up to the chain's head before answering (no chain read when it is
    /// already at the head the chain view knows); if the chain cannot be read, the answer is
    /// what the index holds (its `indexedThroughBlock` says how far that goes). The target is
    /// never below the newest block in which the outbox saw a row confirmed: its receipt can
    /// be newer than the chain view's last poll.
    func catchUp() async -> AccessIndexStore.Position? {
        do {
            let view = try? chain.freshHead()
            var head = view?.number, hash = view?.hash
            if let known = head, let confirmed = try await localLog.lastConfirmedBlock(), confirmed > Int64(clamping: known) {
                head = UInt64(confirmed)
                hash = nil
            }
            return try await indexer.catchUp(to: head, hash: hash)
        } catch {
            logger.warning("the audit index could not catch up; answering from what it holds", metadata: ["error": "\(ErrorDescription.text(error))"])
            return nil
        }
    }

    /// One page of the history of a patient's records held here: for that patient, or an
    /// auditor. The signer is checked before the nonce, so nobody else costs a row.
    func patientAccesses(_ request: Request, patient text: String) async throws -> Response {
        guard let patient = try? Address(text), patient != .zero else { throw APIError(.badRequest, "malformed patient address") }
        var filter = try Self.filter(request, allowed: ["after", "limit"], maximumLimit: Self.maximumPatientLimit)
        filter.patient = patient
        let signature = try authenticator.signature(.headers(request))
        let reader = try reader(of: request, signature, patient: patient, acceptingAuditRequest: false)
        let custodian = authenticator.domain.custodian.checksummed
        // Anyone is "the patient" of a key they just made: a patient with nothing here gets the
        // empty answer before any nonce row or chain read.
        if !reader.isAuditor, try await !localLog.knows(patient: patient) {
            return try Response.json(PatientHistory(patient: patient.checksummed, custodian: custodian, accesses: [], next: nil))
        }
        try await authenticator.claimFreshness(signer: reader.signer, signature)
        _ = await catchUp()
        let (entries, next) = try await page(filter)
        // A chain that cannot be read is an error (503), not "no longer registered". At most
        // one read per staff member on the page, and the chain view caches them.
        var hospitals = [String: String]()
        for staff in Set(entries.map(\.staff)) {
            hospitals[staff] = try await chain.staff(try Address(staff))?.custodian.checksummed
        }
        let emergencies = try await localLog.emergencies(
            requestIds: entries.filter { $0.outcome == Int(AccessOutcome.servedEmergency.rawValue) }.compactMap { try? Bytes32($0.requestId) })
        let accesses = entries.map { entry in
            let purpose = UInt8(exactly: entry.purpose).flatMap(PurposeOfUse.init(rawValue:))
            let emergency = (try? Bytes32(entry.requestId)).flatMap { emergencies[$0] }.map { kept in
                PatientHistory.Emergency(
                    id: kept.emergency.hex, reason: Int(kept.reason), reasonText: EmergencyReason(rawValue: kept.reason)?.words,
                    justification: kept.justification)
            }
            return PatientHistory.Access(
                requestId: entry.requestId, recordId: entry.recordId, accessedAt: entry.accessedAt, staff: entry.staff,
                hospital: hospitals[entry.staff], purpose: entry.purpose, purposeCode: purpose?.code, purposeText: purpose?.words,
                outcome: entry.outcome, reason: entry.local?.reason, rangeStart: entry.local?.rangeStart, rangeEnd: entry.local?.rangeEnd,
                transactionHash: entry.onChain?.transactionHash, blockNumber: entry.onChain?.blockNumber, emergency: emergency)
        }
        return try Response.json(PatientHistory(patient: patient.checksummed, custodian: custodian, accesses: accesses, next: next?.text))
    }

    /// The incremental check; `restart=true` checks the whole log again.
    func check(_ request: Request) async throws -> (Response, consistent: Bool) {
        try await authenticate(request)
        var restart: Bool?
        for (name, value) in request.uri.queryParameters {
            guard name == "restart", value == "true" || value == "false" else {
                throw APIError(.badRequest, "unknown query parameter \(name): the check takes only restart=true")
            }
            guard restart == nil else { throw APIError(.badRequest, "query parameter restart is given more than once") }
            restart = value == "true"
        }
        _ = await catchUp()
        let report = try await checker.check(restart: restart ?? false)
        return (try Response.json(report), report.consistent)
    }
}
