import Foundation
import Hummingbird
import MDRSProtocol

/// Where a request's signed fields travel: in headers (every client), or, for a fetch, in the
/// query string of a single-use signed URL (a plain browser download cannot add headers).
/// Either way the same fields are signed and checked the same way.
struct SignedFields: Sendable {
    let lookup: @Sendable (String) -> String?
    let describe: @Sendable (String) -> String
    /// The fields came in the query string of a signed URL.
    var isSignedURL = false

    static func headers(_ request: Request) -> SignedFields {
        let headers = request.headers
        return SignedFields(lookup: { headers[.mdrs($0)] }, describe: { "header \($0)" })
    }

    /// The query-string names of the signed fields of a signed URL.
    static let queryNames = [
        SignedRequest.Header.token: "token", SignedRequest.Header.purpose: "purpose", SignedRequest.Header.nonce: "nonce",
        SignedRequest.Header.issuedAt: "issuedAt", SignedRequest.Header.signature: "signature",
        SignedRequest.Header.emergencyJustification: "justification",
    ]

    /// The signed fields of a signed URL; nil if the request has no query string. A query
    /// string with other parameters, or a request that also signs in headers, is refused: one
    /// request, one set of signed fields.
    static func query(_ request: Request) throws -> SignedFields? {
        let parameters = request.uri.queryParameters
        guard !parameters.isEmpty else { return nil }
        var values = [String: String]()
        for (name, value) in parameters {
            guard Self.queryNames.values.contains(String(name)) else {
                throw APIError(.badRequest, "unknown query parameter \(name); a signed URL carries \(Self.queryNames.values.sorted().joined(separator: ", "))")
            }
            guard values[String(name)] == nil else { throw APIError(.badRequest, "query parameter \(name) given twice") }
            values[String(name)] = String(value)
        }
        if Self.queryNames.keys.contains(where: { request.headers[.mdrs($0)] != nil }) {
            throw APIError(.badRequest, "sign in headers or in the URL, not both")
        }
        let signed = values
        return SignedFields(
            lookup: { header in Self.queryNames[header].flatMap { signed[$0] } },
            describe: { "query parameter \(Self.queryNames[$0] ?? $0)" }, isSignedURL: true)
    }

    /// A required field, parsed; a missing or malformed one is a 400 naming it.
    func require<T>(_ name: String, _ parse: (String) throws -> T?) throws -> T {
        guard let text = lookup(name) else {
            throw APIError(.badRequest, "missing \(describe(name))")
        }
        guard let value = try? parse(text) else {
            throw APIError(.badRequest, "malformed \(describe(name))")
        }
        return value
    }

    /// An optional field of free text: percent-encoded UTF-8 in a header (header values are
    /// ASCII), an ordinary (decoded) parameter in a query string. Nil if absent.
    func text(_ name: String, maximumBytes: Int) throws -> String? {
        guard let raw = lookup(name) else { return nil }
        guard let text = isSignedURL ? raw : raw.removingPercentEncoding, !text.isEmpty else {
            throw APIError(.badRequest, "malformed \(describe(name)): percent-encoded UTF-8 text expected")
        }
        guard text.utf8.count <= maximumBytes else {
            throw APIError(.badRequest, "\(describe(name)) is longer than \(maximumBytes) bytes")
        }
        return text
    }
}
