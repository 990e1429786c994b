import Foundation

/// The Content-Type rule of a stored record.
package enum MediaType {
    /// A media type as RFC 9110 writes it (`type "/" subtype *( OWS ";" OWS parameter )`), in
    /// printable ASCII: it is served back with the record and read by browsers, so nothing
    /// looser is kept.
    package static func isValid(_ text: String) -> Bool {
        guard (1...255).contains(text.utf8.count), text.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else { return false }
        let token = { (part: Substring) -> Bool in
            !part.isEmpty && part.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
        let essence = text.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let parts = essence.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && token(parts[0]) && token(parts[1])
    }
}
