import MDRSCore
import MDRSProtocol
import NIOCore
import PostgresNIO

// The stored states, as PostgreSQL text: decoded (an unknown value is a decoding error, not a
// silent default) and written as SQL literals (`\(unescaped: LogState.pending.sql)`), so that
// the planner still matches the partial indexes written with the same literals.

/// A stored state written into SQL text as a literal.
package protocol SQLLiteral: RawRepresentable<String> {}

extension SQLLiteral {
    /// The value as an SQL string literal (the raw values are plain identifiers: no quoting needed).
    package var sql: String { "'\(rawValue)'" }
}

extension LogState: PostgresCodable, SQLLiteral {
    // Spelled out: being Codable too, PostgresNIO's JSON defaults would compete with the text ones.
    public static var psqlType: PostgresDataType { String.psqlType }
    public static var psqlFormat: PostgresFormat { String.psqlFormat }

    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) throws {
        try rawValue.encode(into: &byteBuffer, context: context)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard let value = LogState(rawValue: try String(from: &buffer, type: type, format: format, context: context)) else {
            throw PostgresDecodingError.Code.failure
        }
        self = value
    }
}
extension RecordState: PostgresCodable, SQLLiteral {}
extension BatchState: PostgresCodable, SQLLiteral {}
