import EthereumCore
import Testing

@testable import MDRSChain

/// When a new block is not read for logs: only when all it holds is the outbox writer's own.
@Suite("Own transactions")
struct OwnTransactionsTests {
    @Test("a block of only own transactions is covered, and each is forgotten once mined")
    func onlyOwn() {
        var own = OwnTransactions(capacity: 8)
        let (a, b) = (Bytes32.random(), Bytes32.random())
        own.note(a)
        own.note(b)
        let covered1 = own.coverAll(listed: true, hashes: [a], gasUsed: 50_000)
        #expect(covered1)
        #expect(own.pending == [b])
        // Mined once: the same hash again is not the writer's any more.
        let covered2 = own.coverAll(listed: true, hashes: [a], gasUsed: 50_000)
        #expect(!covered2)
        let covered3 = own.coverAll(listed: true, hashes: [b], gasUsed: 50_000)
        #expect(covered3)
        #expect(own.pending.isEmpty)
    }

    @Test("a block with anyone else's transaction is read, and forgets nothing")
    func foreign() {
        var own = OwnTransactions(capacity: 8)
        let (a, revocation) = (Bytes32.random(), Bytes32.random())
        own.note(a)
        let covered4 = own.coverAll(listed: true, hashes: [a, revocation], gasUsed: 80_000)
        #expect(!covered4)
        #expect(own.pending == [a])
    }

    @Test("an empty block is covered only if it is listed and used no gas")
    func empty() {
        var own = OwnTransactions(capacity: 8)
        let covered5 = own.coverAll(listed: true, hashes: [], gasUsed: 0)
        #expect(covered5)
        // A list the node left out says nothing about the block.
        let covered6 = own.coverAll(listed: false, hashes: [], gasUsed: 0)
        #expect(!covered6)
        // An empty list that used gas is a lie or a truncated answer.
        let covered7 = own.coverAll(listed: true, hashes: [], gasUsed: 21_000)
        #expect(!covered7)
    }

    @Test("past its capacity it forgets everything, which only costs a read")
    func capacity() {
        var own = OwnTransactions(capacity: 2)
        let hashes = (0..<3).map { _ in Bytes32.random() }
        hashes.forEach { own.note($0) }
        #expect(own.pending == [hashes[2]])
        let covered8 = own.coverAll(listed: true, hashes: [hashes[0]], gasUsed: 1)
        #expect(!covered8)
    }
}
