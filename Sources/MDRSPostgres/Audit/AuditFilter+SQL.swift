import MDRSCore
import NIOCore
import PostgresNIO

extension PostgresQuery {
    /// Appends `filter`'s conditions and page to a query over `access_log` or `chain_accesses`
    /// (whose columns share their names): the first `filter.limit + 1` matches after the cursor,
    /// in key order, so that each page is one range scan of an index leading with the filter.
    mutating func appendPage(_ filter: AuditFilter) throws {
        func bind(_ condition: String, _ value: some PostgresEncodable & Sendable) throws {
            try binds.append(value, context: .default)
            sql += " AND \(condition) $\(binds.count)"
        }
        if let record = filter.record { try bind("record_id =", record.buffer) }
        if let staff = filter.staff { try bind("staff =", staff.buffer) }
        if let patient = filter.patient { try bind("patient =", patient.buffer) }
        if let outcome = filter.outcome { try bind("outcome =", Int16(outcome)) }
        if let purpose = filter.purpose { try bind("purpose =", Int16(purpose)) }
        if let from = filter.from { try bind("accessed_at >=", Int64(clamping: from)) }
        if let to = filter.to { try bind("accessed_at <=", Int64(clamping: to)) }
        if let after = filter.after {
            try binds.append(Int64(clamping: after.accessedAt), context: .default)
            try binds.append(after.requestId.buffer, context: .default)
            sql += " AND (accessed_at, request_id) > ($\(binds.count - 1), $\(binds.count))"
        }
        sql += " ORDER BY accessed_at, request_id LIMIT \(filter.limit + 1)"
    }
}
