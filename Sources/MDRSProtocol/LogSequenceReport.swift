/// Whether the custodian's numbered on-chain log is complete, as part of the consistency check:
/// the contract numbers each custodian's entries 1, 2, 3, ... and keeps only the last number,
/// so every number up to it must be an `Accessed` event the index holds. A missing number is an
/// entry the node the audit reads from does not show (or the index has not read): the log is
/// then not complete, whatever the rows here say. A request id logged under two numbers is a
/// repeat: not a gap, but not a consistent log either (one access counted twice, by a second
/// writer holding the custodian's key).
public struct LogSequenceReport: Codable, Sendable, Equatable {
    /// A run of numbers with no entry: `from ... through`, both included.
    public struct Gap: Codable, Sendable, Equatable {
        public let from: UInt64
        public let through: UInt64

        public init(from: UInt64, through: UInt64) {
            self.from = from
            self.through = through
        }
    }

    /// A number whose entry names the same request id as an earlier number.
    public struct Repeat: Codable, Sendable, Equatable {
        public let sequence: UInt64
        /// The earlier number with the same request id.
        public let repeats: UInt64
        public let requestId: String

        public init(sequence: UInt64, repeats: UInt64, requestId: String) {
            self.sequence = sequence
            self.repeats = repeats
            self.requestId = requestId
        }
    }

    /// The custodian's last number as the contract held it at `ConsistencyReport.indexedThroughBlock`.
    public let lastOnChain: UInt64
    /// How many numbered entries the index holds.
    public let indexedEntries: Int
    public let complete: Bool
    /// How many numbers have no entry, in all.
    public let missingNumbers: UInt64
    /// The first gaps, in order (up to 100).
    public let gaps: [Gap]
    /// How many numbers repeat an earlier number's request id, in all.
    public let repeatedNumbers: UInt64
    /// The first repeats, in order (up to 100).
    public let repeats: [Repeat]

    public init(
        lastOnChain: UInt64, indexedEntries: Int, complete: Bool, missingNumbers: UInt64, gaps: [Gap], repeatedNumbers: UInt64 = 0,
        repeats: [Repeat] = []
    ) {
        self.repeatedNumbers = repeatedNumbers
        self.repeats = repeats
        self.lastOnChain = lastOnChain
        self.indexedEntries = indexedEntries
        self.complete = complete
        self.missingNumbers = missingNumbers
        self.gaps = gaps
    }
}
