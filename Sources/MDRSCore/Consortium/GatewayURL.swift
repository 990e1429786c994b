import Foundation

/// The base URL of a hospital's gateway as its custodian publishes it on-chain, and the rule
/// every client applies before it sends a signed request there: `https`, or plain `http` only to
/// a gateway on loopback (a developer's machine). No query, no fragment, no credentials.
public enum GatewayURL {
    /// `url` checked and without its trailing slash; `hospital` names whose URL it is, for the
    /// error a person reads.
    public static func checked(_ url: String, hospital: String) throws -> String {
        guard !url.isEmpty else {
            throw GatewayError(.invalidConfiguration, "\(hospital) has published no gateway URL on-chain")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw GatewayError(.invalidConfiguration, "the gateway URL \(hospital) published is not a URL: \(url)")
        }
        guard components.query == nil, components.fragment == nil, components.user == nil, components.password == nil else {
            throw GatewayError(.invalidConfiguration, "the gateway URL \(hospital) published carries a query, fragment or credentials: \(url)")
        }
        switch scheme {
        case "https":
            break
        case "http" where isLoopback(host):
            break
        default:
            throw GatewayError(
                .invalidConfiguration,
                "the gateway URL \(hospital) published is not https (plain http is accepted on loopback only): \(url)")
        }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// The origin (`scheme://host[:port]`) of a checked URL, as browsers compare them.
    public static func origin(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), let host = components.host
        else { return nil }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = components.port.map { $0 == defaultPort ? "" : ":\($0)" } ?? ""
        return "\(scheme)://\(host.lowercased())\(port)"
    }

    static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased()) || host.hasPrefix("127.")
    }
}
