import BigInt
import EthereumCore

/// Reads the fields of a JSON-RPC result, turning a shape mismatch into an `.invalidResponse`
/// error that names the method and the field.
struct RPCObject {
    let method: String
    let members: [String: JSONValue]

    init(_ value: JSONValue, method: String) throws {
        guard let members = value.objectValue else {
            throw JSONRPCError(.invalidResponse, method: method, message: "expected an object")
        }
        self.method = method
        self.members = members
    }

    func has(_ key: String) -> Bool {
        if let value = members[key], !value.isNull { return true }
        return false
    }

    func string(_ key: String) throws -> String {
        guard let text = members[key]?.stringValue else { throw missing(key) }
        return text
    }

    func uint64(_ key: String) throws -> UInt64 {
        do { return try Hex.uint64Quantity(try string(key)) } catch let error as JSONRPCError { throw error } catch {
            throw invalid(key, error)
        }
    }

    func bigUInt(_ key: String) throws -> BigUInt {
        do { return try Hex.bigQuantity(try string(key)) } catch let error as JSONRPCError { throw error } catch {
            throw invalid(key, error)
        }
    }

    func bytes(_ key: String) throws -> [UInt8] {
        do { return try Hex.decode(try string(key)) } catch let error as JSONRPCError { throw error } catch {
            throw invalid(key, error)
        }
    }

    func bytes32(_ key: String) throws -> Bytes32 {
        do { return try Bytes32(try string(key)) } catch let error as JSONRPCError { throw error } catch {
            throw invalid(key, error)
        }
    }

    func address(_ key: String) throws -> Address {
        do { return try Address(try string(key).lowercased()) } catch let error as JSONRPCError { throw error } catch {
            throw invalid(key, error)
        }
    }

    func optionalAddress(_ key: String) throws -> Address? {
        has(key) ? try address(key) : nil
    }

    func array(_ key: String) throws -> [JSONValue] {
        guard let items = members[key]?.arrayValue else { throw missing(key) }
        return items
    }

    private func missing(_ key: String) -> JSONRPCError {
        JSONRPCError(.invalidResponse, method: method, message: "field \(key) is missing or has the wrong type")
    }

    private func invalid(_ key: String, _ error: any Error) -> JSONRPCError {
        JSONRPCError(.invalidResponse, method: method, message: "field \(key) is invalid: \(error)")
    }
}
