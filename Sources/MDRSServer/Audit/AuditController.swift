import EthereumCore
import Hummingbird
import MDRSChain
import MDRSCore
import MDRSPostgres
import MDRSProtocol

/// The access log's readers: `GET /v1/audit/accesses` and `GET /v1/audit/check` for this
/// custodian's auditors, and `GET /v1/patients/{patient}/accesses` for a patient (or an auditor).
struct AuditController: Sendable {
    let authenticator: RequestAuthenticator
    let auditors: [Address]
    let chainLog: AccessLogReader
    let localLog: AccessLogStore
    /// Who registers each staff member now, for the patient's answer.
    let chain: ChainState

    static let parameters: Set<String> = ["record", "patient", "staff", "from", "to"]

    /// Authenticates an auditor's request; the signed query is the request target as sent.
    func authenticate(_ request: Request) async throws {
        let signature = try authenticator.signature(.headers(request))
        let typedData = SignedRequest.audit(
            query: request.uri.description, nonce: signature.nonce, issuedAt: signature.issuedAt, domain: authenticator.domain)
        let signer = try authenticator.signer(of: typedData, signature)
        // The auditor list before the nonce: a stranger's signature costs no row.
        guard auditors.contains(signer) else {
            throw APIError(.notAuditor, "\(signer) is not an auditor of this custodian")
        }
        try await authenticator.claimFreshness(signer: signer, signature)
    }

    static func filter(_ request: Request) throws -> AuditFilter {
        var filter = AuditFilter()
        let query = request.uri.queryParameters
        // A typo must not widen the answer to the whole log.
        for (name, _) in query where !Self.parameters.contains(String(name)) {
            throw APIError(.badRequest, "unknown query parameter \(name); use \(Self.parameters.sorted().joined(separator: ", "))")
        }
        func parse<T>(_ name: String, _ make: (String) throws -> T?) throws -> T? {
            guard let text = query[name[...]].map(String.init) else { return nil }
            guard let value = try? make(text) else { throw APIError(.badRequest, "malformed query parameter \(name)") }
            return value
        }
        filter.record = try parse("record") { try Bytes32($0) }
        filter.patient = try parse("patient") { try Address($0) }
        filter.staff = try parse("staff") { try Address($0) }
        filter.from = try parse("from") { UInt64($0) }
        filter.to = try parse("to") { UInt64($0) }
        return filter
    }

    func accesses(_ request: Request) async throws -> Response {
        try await authenticate(request)
        let report = AuditReport(
            custodian: authenticator.domain.custodian.checksummed, entries: try await entries(try Self.filter(request)))
        return try Response.json(report)
    }

    /// The joined entries matching `filter`.
    func entries(_ filter: AuditFilter) async throws -> [AuditEntry] {
        var onChain = try await chainLog.entries(filter)
        let local = try await localLog.rows(filter)
        if filter.patient != nil {
            // A denial of this hospital's staff about another hospital's record names no patient
            // on-chain (the contract keeps patients' feeds to their own hospitals), though the
            // row does: find those entries by their records' topics, then by request id.
            var unfiltered = filter
            unfiltered.patient = nil
            let missing = Set(local.keys).subtracting(onChain.keys).filter { local[$0]?.chainState != .localOnly }
            if !missing.isEmpty {
                let records = Set(missing.compactMap { local[$0]?.access.recordId })
                for (requestId, event) in try await chainLog.entries(unfiltered, records: records) where missing.contains(requestId) {
                    onChain[requestId] = event
                }
            }
        }
        return AuditLog.entries(onChain: onChain, local: local)
    }

    /// The history of one patient's records held here: for that patient, or an auditor. The
    /// signer is checked before the nonce, so nobody else costs a row.
    func patientAccesses(_ request: Request, patient text: String) async throws -> Response {
        guard let patient = try? Address(text), patient != .zero else { throw APIError(.badRequest, "malformed patient address") }
        if let (name, _) = request.uri.queryParameters.first {
            throw APIError(.badRequest, "unknown query parameter \(name): the history takes none")
        }
        let signature = try authenticator.signature(.headers(request))
        let typedData = SignedRequest.patient(
            patient, query: request.uri.description, nonce: signature.nonce, issuedAt: signature.issuedAt, domain: authenticator.domain)
        let signer = try authenticator.signer(of: typedData, signature)
        let auditor = auditors.contains(signer)
        guard signer == patient || auditor else {
            throw APIError(.notPatient, "only the patient (or an auditor of this custodian) may read this history")
        }
        // Anyone is "the patient" of a key they just made: a patient with nothing here gets the
        // empty answer before any nonce row or chain read.
        let known = auditor ? true : try await localLog.knows(patient: patient)
        guard known else {
            return try Response.json(PatientHistory(patient: patient.checksummed, custodian: authenticator.domain.custodian.checksummed, accesses: []))
        }
        try await authenticator.claimFreshness(signer: signer, signature)
        let entries = try await entries(AuditFilter(patient: patient))
        // A chain that cannot be read is an error (503), not "no longer registered".
        var hospitals = [String: String]()
        for staff in Set(entries.map(\.staff)) {
            hospitals[staff] = try await chain.staff(try Address(staff))?.custodian.checksummed
        }
        let accesses = entries.map { entry in
            let purpose = UInt8(exactly: entry.purpose).flatMap(PurposeOfUse.init(rawValue:))
            return PatientHistory.Access(
                requestId: entry.requestId, recordId: entry.recordId, accessedAt: entry.accessedAt, staff: entry.staff,
                hospital: hospitals[entry.staff], purpose: entry.purpose, purposeCode: purpose?.code, purposeText: purpose?.words,
                outcome: entry.outcome, reason: entry.local?.reason, rangeStart: entry.local?.rangeStart, rangeEnd: entry.local?.rangeEnd,
                transactionHash: entry.onChain?.transactionHash, blockNumber: entry.onChain?.blockNumber)
        }
        return try Response.json(PatientHistory(patient: patient.checksummed, custodian: authenticator.domain.custodian.checksummed, accesses: accesses))
    }

    func check(_ request: Request) async throws -> (Response, consistent: Bool) {
        try await authenticate(request)
        if let (name, _) = request.uri.queryParameters.first {
            throw APIError(.badRequest, "unknown query parameter \(name): the check takes none")
        }
        let report = AuditLog.check(
            custodian: authenticator.domain.custodian, onChain: try await chainLog.entries(AuditFilter()),
            local: try await localLog.rows(AuditFilter()))
        return (try Response.json(report), report.consistent)
    }
}
