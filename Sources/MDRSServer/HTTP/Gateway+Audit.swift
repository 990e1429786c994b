import EthereumCore
import EthereumRPC
import Foundation
import HTTPTypes
import Hummingbird
import MDRSChain
import MDRSCore
import MDRSProtocol
import NIOCore
import PostgresNIO

extension Gateway {
    struct AuditFilter {
        var record: Bytes32?
        var patient: Address?
        var staff: Address?
        var from: UInt64?
        var to: UInt64?

        func matches(accessedAt: UInt64) -> Bool {
            (from.map { accessedAt >= $0 } ?? true) && (to.map { accessedAt <= $0 } ?? true)
        }
    }

    /// Authenticates an auditor's request; the signed query is the request target as sent.
    func authenticateAuditor(_ request: Request) async throws {
        let signed = try signedHeaders(request)
        let typedData = SignedRequest.audit(
            query: request.uri.description, nonce: signed.nonce, issuedAt: signed.issuedAt, custodian: custodian,
            chainId: chainId, contract: contract)
        let signer = try self.signer(of: typedData, signed)
        // The auditor list before the nonce: a stranger's signature costs no row.
        guard configuration.auditors.contains(signer) else {
            throw APIError(.notAuditor, "\(signer) is not an auditor of this custodian")
        }
        try await checkFreshness(signer: signer, signed)
    }

    static let auditParameters: Set<String> = ["record", "patient", "staff", "from", "to"]

    static func auditFilter(_ request: Request) throws -> AuditFilter {
        var filter = AuditFilter()
        let query = request.uri.queryParameters
        // A typo must not widen the answer to the whole log.
        for (name, _) in query where !Self.auditParameters.contains(String(name)) {
            throw APIError(.badRequest, "unknown query parameter \(name); use \(Self.auditParameters.sorted().joined(separator: ", "))")
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

    /// Serves `GET /v1/audit/accesses`.
    public func audit(_ request: Request) async throws -> Response {
        do {
            try await authenticateAuditor(request)
            let filter = try Self.auditFilter(request)
            var onChain = try await onChainEntries(filter)
            let local = try await localEntries(filter)
            if filter.patient != nil {
                // A denial of this hospital's staff about another hospital's record names no
                // patient on-chain (the contract keeps patients' feeds to their own hospitals),
                // though the row does: find those entries by their request id, not the topic.
                var unfiltered = filter
                unfiltered.patient = nil
                let missing = Set(local.keys).subtracting(onChain.keys)
                if !missing.isEmpty {
                    for (requestId, event) in try await onChainEntries(unfiltered) where missing.contains(requestId) {
                        onChain[requestId] = event
                    }
                }
            }
            var entries = [AuditEntry]()
            var seen = Set<Bytes32>()
            for (requestId, event) in onChain {
                seen.insert(requestId)
                entries.append(Self.join(event: event, row: local[requestId]))
            }
            for (requestId, row) in local where !seen.contains(requestId) {
                entries.append(Self.join(event: nil, row: row))
            }
            entries.sort { ($0.accessedAt, $0.requestId) < ($1.accessedAt, $1.requestId) }
            metrics.request(route: "audit", outcome: "ok")
            return try Response.json(AuditReport(custodian: custodian.checksummed, entries: entries))
        } catch {
            let refusal = APIError(error)
            metrics.request(route: "audit", outcome: refusal.code.rawValue)
            throw refusal
        }
    }

    /// Serves `GET /v1/audit/check`.
    public func consistencyCheck(_ request: Request) async throws -> Response {
        do {
            try await authenticateAuditor(request)
            if let (name, _) = request.uri.queryParameters.first {
                throw APIError(.badRequest, "unknown query parameter \(name): the check takes none")
            }
            let onChain = try await onChainEntries(AuditFilter())
            let local = try await localEntries(AuditFilter()).filter { $0.value.chainState != "local_only" }
            var missing = [String](), waiting = [String](), rejected = [String](), unknown = [String](), mismatch = [String]()
            for (requestId, row) in local {
                switch (row.chainState, onChain[requestId]) {
                case ("confirmed", nil): missing.append(requestId.hex)
                case ("pending", nil), ("submitted", nil): waiting.append(requestId.hex)
                case ("rejected", nil): rejected.append(requestId.hex)
                default: break
                }
            }
            for (requestId, event) in onChain {
                guard let row = local[requestId] else {
                    unknown.append(requestId.hex)
                    continue
                }
                if row.access.commitment != event.commitment || row.storedCommitment != event.commitment {
                    mismatch.append(requestId.hex)
                }
            }
            let report = ConsistencyReport(
                custodian: custodian.checksummed, onChainEntries: onChain.count, localEntries: local.count,
                missingOnChain: missing.sorted(), waiting: waiting.sorted(), rejected: rejected.sorted(),
                unknownHere: unknown.sorted(), commitmentMismatch: mismatch.sorted(),
                consistent: missing.isEmpty && unknown.isEmpty && mismatch.isEmpty && rejected.isEmpty)
            metrics.request(route: "audit_check", outcome: report.consistent ? "consistent" : "inconsistent")
            return try Response.json(report)
        } catch {
            let refusal = APIError(error)
            metrics.request(route: "audit_check", outcome: refusal.code.rawValue)
            throw refusal
        }
    }

    struct ChainEntry {
        let entry: AccessEntry
        let patient: Address
        let log: Log
        var commitment: Bytes32 { entry.commitment }
    }

    struct LocalRow {
        let access: AccessRecord
        let storedCommitment: Bytes32
        let chainState: String
    }

    /// Blocks per `eth_getLogs` (Besu's default `--rpc-max-logs-range` is 5000).
    static let logWindow: UInt64 = 5000

    /// This custodian's `Accessed` events matching the filter (indexed topics narrow the read).
    func onChainEntries(_ filter: AuditFilter) async throws -> [Bytes32: ChainEntry] {
        let event = MedicalAccessABI.accessed
        let topics: [[Bytes32]?] = [
            [event.topic], filter.record.map { [$0] },
            try filter.staff.map { [try ABIEvent.topic(for: .address($0), as: .address)] },
            try filter.patient.map { [try ABIEvent.topic(for: .address($0), as: .address)] },
        ]
        // Read in windows: production nodes cap the block range of one eth_getLogs. From a witness
        // node when there is one: the check must not rest on the node that the outbox wrote through.
        let node = (chain.witnesses.first ?? chain.contract).client
        var logs = [Log]()
        do {
            let head = try await node.blockNumber()
            var from = configuration.auditFromBlock
            while from <= head {
                let to = min(from + Self.logWindow - 1, head)
                logs += try await node.logs(
                    LogFilter(fromBlock: .number(from), toBlock: .number(to), addresses: [contract], topics: topics))
                from = to + 1
            }
        } catch let error as JSONRPCError {
            throw MedicalAccessContract.chainError(error, calling: "eth_getLogs")
        }
        var entries = [Bytes32: ChainEntry]()
        for log in logs {
            guard let decoded = chain.contract.decode(log), decoded.name == "Accessed",
                (try? decoded.value("custodian").asAddress()) == custodian
            else { continue }
            let entry = AccessEntry(
                requestId: try decoded.value("requestId").asBytes32(), token: try decoded.value("token").asBytes32(),
                recordId: try decoded.value("recordId").asBytes32(), staff: try decoded.value("staff").asAddress(),
                purpose: UInt8(try decoded.value("purpose").asUInt64()), outcome: UInt8(try decoded.value("outcome").asUInt64()),
                accessedAt: try decoded.value("accessedAt").asUInt64(), commitment: try decoded.value("commitment").asBytes32())
            guard filter.matches(accessedAt: entry.accessedAt) else { continue }
            entries[entry.requestId] = ChainEntry(entry: entry, patient: try decoded.value("patient").asAddress(), log: log)
        }
        return entries
    }

    /// The custodian's rows matching the filter.
    func localEntries(_ filter: AuditFilter) async throws -> [Bytes32: LocalRow] {
        var query: PostgresQuery = """
            SELECT request_id, token, record_id, staff, patient, purpose, outcome, reason, accessed_at, range_start,
                range_end, signature_hash, commitment, chain_state
            FROM access_log WHERE accessed_at >= \(Int64(min(filter.from ?? 0, UInt64(Int64.max)))) AND accessed_at <= \(Int64(min(filter.to ?? UInt64(Int64.max), UInt64(Int64.max))))
            """
        if let record = filter.record { query.sql += " AND record_id = $\(query.binds.count + 1)"; try query.binds.append(record.buffer, context: .default) }
        if let staff = filter.staff { query.sql += " AND staff = $\(query.binds.count + 1)"; try query.binds.append(staff.buffer, context: .default) }
        if let patient = filter.patient { query.sql += " AND patient = $\(query.binds.count + 1)"; try query.binds.append(patient.buffer, context: .default) }
        let rows = try await outbox.client.query(query, logger: logger)
        var entries = [Bytes32: LocalRow]()
        for try await row in rows {
            let (requestId, token, recordId, staff, patient, purpose, outcome, reason, accessedAt, rangeStart, rangeEnd, signatureHash, commitment, state) =
                try row.decode((ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer?, Int16, Int16, String, Int64, Int64?, Int64?, ByteBuffer, ByteBuffer, String).self)
            let access = AccessRecord(
                requestId: try Bytes32(buffer: requestId), token: try Bytes32(buffer: token), recordId: try Bytes32(buffer: recordId),
                staff: try Address(buffer: staff), patient: try patient.map { try Address(buffer: $0) }, custodian: custodian,
                purpose: UInt8(truncatingIfNeeded: purpose), outcome: AccessOutcome(rawValue: UInt8(truncatingIfNeeded: outcome)) ?? .refused,
                reason: reason, accessedAt: UInt64(accessedAt), rangeStart: rangeStart, rangeEnd: rangeEnd,
                signatureHash: try Bytes32(buffer: signatureHash))
            entries[access.requestId] = LocalRow(access: access, storedCommitment: try Bytes32(buffer: commitment), chainState: state)
        }
        return entries
    }

    static func join(event: ChainEntry?, row: LocalRow?) -> AuditEntry {
        let entry = event?.entry ?? row?.access.entry
        let chainPatient = event.flatMap { $0.patient == .zero ? nil : $0.patient }
        let patient = chainPatient ?? row?.access.patient
        return AuditEntry(
            requestId: entry?.requestId.hex ?? "", token: entry?.token.hex ?? "", recordId: entry?.recordId.hex ?? "",
            staff: entry?.staff.checksummed ?? "", patient: patient?.checksummed, purpose: Int(entry?.purpose ?? 0),
            outcome: Int(entry?.outcome ?? 0), accessedAt: entry?.accessedAt ?? 0,
            onChain: event.map {
                AuditEntry.OnChain(
                    transactionHash: $0.log.transactionHash.hex, blockNumber: $0.log.blockNumber, logIndex: $0.log.logIndex,
                    commitment: $0.commitment.hex)
            },
            local: row.map { row in
                AuditEntry.Local(
                    reason: row.access.reason, chainState: row.chainState, rangeStart: row.access.rangeStart,
                    rangeEnd: row.access.rangeEnd, signatureHash: row.access.signatureHash.hex,
                    commitmentValid: row.access.commitment == row.storedCommitment
                        && (event.map { $0.commitment == row.storedCommitment } ?? true))
            })
    }
}
