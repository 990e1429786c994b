import HTTPTypes

extension HTTPField.Name {
    /// The gateway's own headers (see ``SignedRequest/Header``). The names are constants that
    /// are valid field names, so the initialiser cannot fail.
    package static func mdrs(_ name: String) -> HTTPField.Name {
        guard let field = HTTPField.Name(name) else { preconditionFailure("invalid header name \(name)") }
        return field
    }

    package static let mdrsToken = mdrs(SignedRequest.Header.token)
    static let mdrsPurpose = mdrs(SignedRequest.Header.purpose)
    static let mdrsNonce = mdrs(SignedRequest.Header.nonce)
    static let mdrsIssuedAt = mdrs(SignedRequest.Header.issuedAt)
    static let mdrsSignature = mdrs(SignedRequest.Header.signature)
    static let mdrsPatient = mdrs(SignedRequest.Header.patient)
    static let mdrsContentSHA256 = mdrs(SignedRequest.Header.contentSHA256)
    package static let mdrsDocument = mdrs(SignedRequest.Header.document)
    package static let mdrsRequestId = mdrs(SignedRequest.Header.requestId)
    package static let mdrsRecordSHA256 = mdrs(SignedRequest.Header.recordSHA256)
}

extension HTTPField.Name {
    package static let referrerPolicy = HTTPField.Name.mdrs("Referrer-Policy")
    package static let crossOriginOpenerPolicy = HTTPField.Name.mdrs("Cross-Origin-Opener-Policy")
}
