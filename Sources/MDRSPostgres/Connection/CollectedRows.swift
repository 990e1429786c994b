import PostgresNIO

/// The rows of a query, read to the end while its connection was leased. An `AsyncSequence` of
/// `PostgresRow`, so PostgresNIO's `decode(...)` applies to it as to a live row sequence.
public struct CollectedRows: AsyncSequence, Sendable {
    public typealias Element = PostgresRow
    public let rows: [PostgresRow]

    public func collect() -> [PostgresRow] { rows }

    public func makeAsyncIterator() -> Decoded<PostgresRow>.Iterator { Decoded(elements: rows).makeAsyncIterator() }

    /// Decoded rows, already in memory.
    public struct Decoded<Row: Sendable>: AsyncSequence, Sendable {
        public typealias Element = Row
        public let elements: [Row]

        public func makeAsyncIterator() -> Iterator { Iterator(elements: elements) }

        public struct Iterator: AsyncIteratorProtocol {
            var elements: [Row]
            var index = 0

            public mutating func next() async throws -> Row? {
                guard index < elements.count else { return nil }
                defer { index += 1 }
                return elements[index]
            }
        }
    }
}
