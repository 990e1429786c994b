import EthereumCore
import Hummingbird
import MDRSCore
import MDRSProtocol

extension AuditController {
    /// The FHIR search parameters `GET /fhir/AuditEvent` takes. Any other is refused: a typo
    /// must not widen the answer to the whole log (FHIR's strict handling).
    static let fhirParameters: Set<String> = ["patient", "agent", "entity", "date", "_count", "_cursor", "_format"]

    /// `GET /fhir/AuditEvent`: a searchset Bundle of AuditEvents (IHE BALP RESTful read), one
    /// page at a time. An auditor signs an `AuditRequest` over the request target; a patient
    /// signs a `PatientRequest` naming themself and must search with `patient=` their address.
    func fhirAuditEvents(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        for (name, _) in query where !Self.fhirParameters.contains(String(name)) {
            throw APIError(.badRequest, "unknown search parameter \(name); use \(Self.fhirParameters.sorted().joined(separator: ", "))")
        }
        func single(_ name: String) throws -> String? {
            let values = query.getAll(name)
            guard values.count <= 1 else { throw APIError(.badRequest, "\(name) may be given once") }
            return values.first
        }
        // FHIR clients often name the format; JSON is the only one served.
        if let format = try single("_format"), !["json", "application/json", "application/fhir+json"].contains(format) {
            throw APIError(.badRequest, "_format: this server answers FHIR JSON only (json, application/fhir+json)")
        }
        var filter = AuditFilter()
        if let text = try single("patient") {
            let id = text.hasPrefix("Patient/") ? String(text.dropFirst("Patient/".count)) : text
            guard let patient = try? Address(id), patient != .zero else { throw APIError(.badRequest, "patient must be a patient's address") }
            filter.patient = patient
        }
        if let text = try single("agent") {
            guard let staff = try? Address(text) else { throw APIError(.badRequest, "agent must be a staff member's address") }
            filter.staff = staff
        }
        if let text = try single("entity") {
            guard let record = try? Bytes32(text) else { throw APIError(.badRequest, "entity must be a record id (32 bytes, hex)") }
            filter.record = record
        }
        for value in query.getAll("date") {
            let (from, to) = try Self.dateBounds(value)
            if let from { filter.from = max(filter.from ?? 0, from) }
            if let to { filter.to = min(filter.to ?? .max, to) }
        }
        if let text = try single("_cursor") {
            guard let cursor = AuditCursor(text) else { throw APIError(.badRequest, "malformed _cursor: use the next link as given") }
            filter.after = cursor
        }

        // Who asks: an auditor (either request type), or the patient the search names.
        let signature = try authenticator.signature(.headers(request))
        let (signer, isAuditor) = try reader(of: request, signature, patient: filter.patient, acceptingAuditRequest: true)
        let maximum = isAuditor ? AuditFilter.maximumLimit : Self.maximumPatientLimit
        if let text = try single("_count") {
            guard let count = Int(text), (1...maximum).contains(count) else { throw APIError(.badRequest, "_count must be from 1 to \(maximum)") }
            filter.limit = count
        } else {
            filter.limit = AuditFilter.defaultLimit
        }

        let custodian = authenticator.domain.custodian.checksummed
        let chainId = String(authenticator.domain.chainId)
        let timestamp = FHIRDateTime.instant(authenticator.clock.unixTime)
        let links = [FHIRBundle<FHIRAuditEvent>.Link(relation: "self", url: request.uri.description)]
        // A patient with nothing here gets the empty answer before any nonce row or chain read.
        if !isAuditor, let patient = filter.patient, try await !localLog.knows(patient: patient) {
            return try Response.fhir(FHIRBundle<FHIRAuditEvent>(timestamp: timestamp, link: links, entry: []))
        }
        try await authenticator.claimFreshness(signer: signer, signature)
        _ = await catchUp()
        let (entries, next) = try await page(filter)
        var bundleLinks = links
        if let next { bundleLinks.append(.init(relation: "next", url: Self.nextURL(request, cursor: next.text))) }
        // People by name: this hospital's own staff from its directory, another hospital's from
        // the directory that hospital published (checked against its SHA-256 on-chain).
        var names = [String: String]()
        for staff in Set(entries.map(\.staff)) {
            guard let address = try? Address(staff) else { continue }
            if let member = try await directory.member(address) {
                names[staff] = member.display
            } else if let person = await people?.person(address), person.name != nil {
                names[staff] = person.display
            }
        }
        let hospital = await people?.hospitalName(authenticator.domain.custodian)
        // A patient reads who looked, not from which network address.
        let events = entries.map {
            FHIRBundle<FHIRAuditEvent>.Entry(
                resource: FHIRAuditEvent(
                    $0, chainId: chainId, custodian: custodian, serverAddress: serverAddress, showClientAddress: isAuditor,
                    staffName: names[$0.staff], hospital: hospital))
        }
        return try Response.fhir(FHIRBundle(timestamp: timestamp, link: bundleLinks, entry: events))
    }

    /// The bounds (Unix seconds, inclusive) one `date` parameter sets: `ge`, `gt`, `le`, `lt` or
    /// `eq` (the default) and a FHIR date or dateTime at any precision. A bound before 1970 is
    /// no bound (`ge`, `gt`) or matches nothing (`from` 1, `to` 0: `eq`, `le`, `lt`).
    static func dateBounds(_ value: String) throws -> (from: UInt64?, to: UInt64?) {
        var prefix = "eq", text = Substring(value)
        if let first = text.first, first.isLetter {
            prefix = String(text.prefix(2))
            text = text.dropFirst(2)
        }
        guard let range = FHIRDateTime.range(String(text)) else {
            throw APIError(.badRequest, "date must be a FHIR date or dateTime (with a zone when it has a time), e.g. ge2026-01-01")
        }
        let start = range.lowerBound, last = range.upperBound - 1
        let nothing: (from: UInt64?, to: UInt64?) = (1, 0)
        func from(_ t: Int64) -> UInt64? { t <= 0 ? nil : UInt64(t) }
        func to(_ t: Int64) -> (from: UInt64?, to: UInt64?) { t < 0 ? nothing : (nil, UInt64(t)) }
        switch prefix {
        case "eq": return last < 0 ? nothing : (from(start), UInt64(last))
        case "ge": return (from(start), nil)
        case "gt": return (from(last + 1), nil)
        case "le": return to(last)
        case "lt": return to(start - 1)
        default: throw APIError(.badRequest, "date takes the prefixes eq, ge, gt, le and lt")
        }
    }

    /// The request's own URL with `_cursor` set to `cursor`: the next page, to be signed anew.
    static func nextURL(_ request: Request, cursor: String) -> String {
        var parts = [String]()
        for part in (request.uri.query ?? "").split(separator: "&") where !part.hasPrefix("_cursor=") { parts.append(String(part)) }
        parts.append("_cursor=\(cursor)")
        return request.uri.path + "?" + parts.joined(separator: "&")
    }
}
