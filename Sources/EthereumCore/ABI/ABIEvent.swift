/// A contract event: computes its topic and decodes logs.
public struct ABIEvent: Equatable, Sendable {
    public let name: String
    public let inputs: [ABIParameter]
    public let anonymous: Bool

    public init(name: String, inputs: [ABIParameter], anonymous: Bool = false) {
        self.name = name
        self.inputs = inputs
        self.anonymous = anonymous
    }

    /// The canonical signature.
    public var signature: String { "\(name)(\(inputs.signatureList))" }

    /// Topic 0 of a non-anonymous event's logs.
    public var topic: Bytes32 { Bytes32.keccak(Array(signature.utf8)) }

    /// Decodes a log's topics and data into one value per input, in declaration order. An
    /// indexed input of a dynamic type comes back as the 32-byte hash its topic holds.
    public func decode(topics: [Bytes32], data: [UInt8]) throws -> DecodedEvent {
        var remainingTopics = topics[...]
        if !anonymous {
            guard remainingTopics.first == topic else {
                throw ABIError(.unknownSelector, "log is not a \(name) event")
            }
            remainingTopics = remainingTopics.dropFirst()
        }
        let indexed = inputs.filter(\.indexed)
        guard remainingTopics.count == indexed.count else {
            throw ABIError(.valueMismatch, "\(name) has \(indexed.count) indexed inputs, log has \(remainingTopics.count) topics")
        }
        let dataValues = try ABI.decode(inputs.filter { !$0.indexed }.types, from: data)
        var values = [ABIValue]()
        var topicIterator = remainingTopics.makeIterator()
        var dataIterator = dataValues.makeIterator()
        for input in inputs {
            if input.indexed, let topic = topicIterator.next() {
                if input.type.isHashedWhenIndexed {
                    values.append(.fixedBytes(topic.bytes))
                } else {
                    values.append(try ABI.decode([input.type], from: topic.bytes)[0])
                }
            } else if let value = dataIterator.next() {
                values.append(value)
            }
        }
        return DecodedEvent(name: name, parameters: inputs, values: values)
    }

    /// The topic a filter uses to match an indexed input equal to `value`.
    public static func topic(for value: ABIValue, as type: ABIType) throws -> Bytes32 {
        switch (type, value) {
        case (.string, .string(let text)): return Bytes32.keccak(Array(text.utf8))
        case (.bytes, .bytes(let bytes)): return Bytes32.keccak(bytes)
        default:
            guard !type.isHashedWhenIndexed else {
                throw ABIError(.valueMismatch, "topics of \(type.canonical) values are not supported")
            }
            return try Bytes32(bytes: ABI.encode([value], as: [type]))
        }
    }
}

/// An event log decoded against its ``ABIEvent``.
public struct DecodedEvent: Equatable, Sendable {
    public let name: String
    public let parameters: [ABIParameter]
    public let values: [ABIValue]

    /// The value of the input called `name`.
    public subscript(name: String) -> ABIValue? {
        parameters.firstIndex(where: { $0.name == name }).map { values[$0] }
    }

    /// The value of the input called `name`, or an error naming it.
    public func value(_ name: String) throws -> ABIValue {
        guard let value = self[name] else {
            throw ABIError(.valueMismatch, "event \(self.name) has no input \"\(name)\"")
        }
        return value
    }
}
