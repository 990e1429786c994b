import Foundation

/// A contract's JSON ABI: its functions, events and custom errors by name.
public struct ContractABI: Sendable {
    public let functions: [ABIFunction]
    public let events: [ABIEvent]
    public let errors: [ABICustomError]

    public init(functions: [ABIFunction], events: [ABIEvent], errors: [ABICustomError]) {
        self.functions = functions
        self.events = events
        self.errors = errors
    }

    /// Parses the standard JSON ABI (an array of entries), as solc and vyper write it.
    public init(json: Data) throws {
        let entries: [Entry]
        do {
            entries = try JSONDecoder().decode([Entry].self, from: json)
        } catch {
            throw ABIError(.invalidType, "not a JSON ABI: \(error)")
        }
        var functions = [ABIFunction]()
        var events = [ABIEvent]()
        var errors = [ABICustomError]()
        for entry in entries {
            switch entry.type {
            case "function":
                functions.append(
                    ABIFunction(
                        name: entry.name ?? "",
                        inputs: try (entry.inputs ?? []).map { try $0.parameter() },
                        outputs: try (entry.outputs ?? []).map { try $0.parameter() },
                        stateMutability: entry.stateMutability ?? "nonpayable"
                    ))
            case "event":
                events.append(
                    ABIEvent(
                        name: entry.name ?? "",
                        inputs: try (entry.inputs ?? []).map { try $0.parameter() },
                        anonymous: entry.anonymous ?? false
                    ))
            case "error":
                errors.append(
                    ABICustomError(name: entry.name ?? "", inputs: try (entry.inputs ?? []).map { try $0.parameter() }))
            default:
                continue
            }
        }
        self.init(functions: functions, events: events, errors: errors)
    }

    /// The function called `name`; an error if there is none.
    public func function(_ name: String) throws -> ABIFunction {
        guard let function = functions.first(where: { $0.name == name || $0.signature == name }) else {
            throw ABIError(.unknownSelector, "the contract has no function \(name)")
        }
        return function
    }

    /// The event called `name`; an error if there is none.
    public func event(_ name: String) throws -> ABIEvent {
        guard let event = events.first(where: { $0.name == name || $0.signature == name }) else {
            throw ABIError(.unknownSelector, "the contract has no event \(name)")
        }
        return event
    }

    /// The event whose topic 0 is `topic`.
    public func event(topic: Bytes32) -> ABIEvent? {
        events.first(where: { !$0.anonymous && $0.topic == topic })
    }

    /// Decodes revert data against this contract's custom errors.
    public func revertReason(_ data: [UInt8]) -> RevertReason {
        RevertReason(data: data, errors: errors)
    }

    private struct Entry: Decodable {
        var type: String
        var name: String?
        var inputs: [Parameter]?
        var outputs: [Parameter]?
        var anonymous: Bool?
        var stateMutability: String?
    }

    private struct Parameter: Decodable {
        var name: String?
        var type: String
        var components: [Parameter]?
        var indexed: Bool?

        func parameter() throws -> ABIParameter {
            ABIParameter(name: name ?? "", type: try ABIType(canonicalType()), indexed: indexed ?? false)
        }

        /// `tuple[]` with components becomes `(a,b)[]`.
        func canonicalType() throws -> String {
            guard type.hasPrefix("tuple") else { return type }
            guard let components else { throw ABIError(.invalidType, "tuple without components") }
            let inner = try components.map { try $0.canonicalType() }.joined(separator: ",")
            return "(" + inner + ")" + type.dropFirst("tuple".count)
        }
    }
}
