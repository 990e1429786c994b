import EthereumCore
import Foundation

/// Flat, dotted settings (`chain.rpc_url`) gathered in one documented order: defaults, then a
/// JSON file, then `MDRS_*` environment variables, then `--set key=value` flags; later wins.
///
/// The file nests sections (`{"chain": {"rpc_url": ...}}`); the environment variable of a key
/// is `MDRS_` and the key upper-cased with dots as underscores (`MDRS_CHAIN_RPC_URL`). Secrets
/// are never values here: keys ending in `_file` name files that hold them.
public struct Settings: Sendable {
    public private(set) var values: [String: String]

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    /// Loads the layers over `known` keys. Unknown keys in the file or flags are errors, so a
    /// typo is not silently ignored.
    public static func load(
        file: String?, environment: [String: String], overrides: [String], known: Set<String>
    ) throws -> Settings {
        var values = [String: String]()
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw GatewayError(.invalidConfiguration, "cannot read configuration file \(file)")
            }
            let json: JSONValue
            do { json = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
                throw GatewayError(.invalidConfiguration, "\(file) is not valid JSON: \(error)")
            }
            for (key, value) in try flatten(json, prefix: "") {
                guard known.contains(key) else {
                    throw GatewayError(.invalidConfiguration, "\(file): unknown setting \(key)")
                }
                values[key] = value
            }
        }
        for key in known {
            if let value = environment[environmentName(key)], !value.isEmpty { values[key] = value }
        }
        for override in overrides {
            guard let equals = override.firstIndex(of: "=") else {
                throw GatewayError(.invalidConfiguration, "--set expects key=value, got \(override)")
            }
            let key = String(override[..<equals])
            guard known.contains(key) else {
                throw GatewayError(.invalidConfiguration, "unknown setting \(key)")
            }
            values[key] = String(override[override.index(after: equals)...])
        }
        return Settings(values)
    }

    /// `chain.rpc_url` → `MDRS_CHAIN_RPC_URL`.
    public static func environmentName(_ key: String) -> String {
        "MDRS_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    static func flatten(_ value: JSONValue, prefix: String) throws -> [(String, String)] {
        switch value {
        case .object(let members):
            return try members.flatMap { try flatten($0.value, prefix: prefix.isEmpty ? $0.key : "\(prefix).\($0.key)") }
        case .string(let text): return [(prefix, text)]
        case .integer(let number): return [(prefix, String(number))]
        case .double(let number): return [(prefix, String(number))]
        case .bool(let flag): return [(prefix, String(flag))]
        case .array(let items):
            return [(prefix, try items.map { item -> String in
                guard let text = item.stringValue else {
                    throw GatewayError(.invalidConfiguration, "\(prefix): lists hold strings")
                }
                return text
            }.joined(separator: ","))]
        case .null: return []
        }
    }

    public mutating func set(_ key: String, _ value: String) { values[key] = value }

    public func string(_ key: String) -> String? {
        values[key].flatMap { $0.isEmpty ? nil : $0 }
    }

    public func require(_ key: String) throws -> String {
        guard let value = string(key) else {
            throw GatewayError(.invalidConfiguration, "setting \(key) is required (or \(Self.environmentName(key)))")
        }
        return value
    }

    public func int(_ key: String, default fallback: Int) throws -> Int {
        guard let text = string(key) else { return fallback }
        guard let value = Int(text) else { throw GatewayError(.invalidConfiguration, "\(key) must be an integer, got \(text)") }
        return value
    }

    public func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let text = string(key)?.lowercased() else { return fallback }
        switch text {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw GatewayError(.invalidConfiguration, "\(key) must be true or false, got \(text)")
        }
    }

    public func list(_ key: String) -> [String] {
        (string(key) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public func address(_ key: String) throws -> Address {
        let text = try require(key)
        do { return try Address(text) } catch {
            throw GatewayError(.invalidConfiguration, "\(key) is not an address: \(text)")
        }
    }
}
