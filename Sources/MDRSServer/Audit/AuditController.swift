import EthereumCore
import Hummingbird
import MDRSChain
import MDRSCore
import MDRSPostgres
import MDRSProtocol

/// `GET /v1/audit/accesses` and `GET /v1/audit/check`, for this custodian's auditors.
struct AuditController: Sendable {
    let authenticator: RequestAuthenticator
    let auditors: [Address]
    let chainLog: AccessLogReader
    let localLog: AccessLogStore

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
        let filter = try Self.filter(request)
        var onChain = try await chainLog.entries(filter)
        let local = try await localLog.rows(filter)
        if filter.patient != nil {
            // A denial of this hospital's staff about another hospital's record names no patient
            // on-chain (the contract keeps patients' feeds to their own hospitals), though the
            // row does: find those entries by their request id, not the topic.
            var unfiltered = filter
            unfiltered.patient = nil
            let missing = Set(local.keys).subtracting(onChain.keys)
            if !missing.isEmpty {
                for (requestId, event) in try await chainLog.entries(unfiltered) where missing.contains(requestId) {
                    onChain[requestId] = event
                }
            }
        }
        let report = AuditReport(custodian: authenticator.domain.custodian.checksummed, entries: AuditLog.entries(onChain: onChain, local: local))
        return try Response.json(report)
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
