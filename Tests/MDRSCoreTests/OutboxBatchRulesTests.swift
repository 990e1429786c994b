import MDRSCore
import Testing

/// The outbox writer's decisions without PostgreSQL or a chain: every step of a batch's life.
@Suite("Outbox batch rules")
struct OutboxBatchRulesTests {
    typealias Rules = OutboxBatchRules
    let policy = ReplacementPolicy(replaceAfter: .seconds(30), maximumFeePerGas: nil)

    @Test("an open batch: no versions is dropped, a used nonce means look for a receipt, else it is pending")
    func open() {
        #expect(Rules.open(hasVersions: false, minedNonce: 9, batchNonce: 3) == .drop(.noVersions))
        #expect(Rules.open(hasVersions: true, minedNonce: 4, batchNonce: 3) == .findReceipt)
        #expect(Rules.open(hasVersions: true, minedNonce: 3, batchNonce: 3) == .pending)
        #expect(Rules.open(hasVersions: true, minedNonce: 0, batchNonce: 3) == .pending)
        // The nonce is used but no version has a receipt: another transaction of the key took it.
        #expect(Rules.receiptSearch(found: false) == .drop(.nonceTaken))
        #expect(Rules.receiptSearch(found: true) == .findReceipt)
    }

    @Test("a receipt: reverted is dropped; without confirmations the witnesses decide; with them, depth and then canonicity")
    func receipt() {
        #expect(Rules.receipt(succeeded: false, blockNumber: 10, head: 20, confirmations: 2) == .drop(.reverted))
        #expect(Rules.receipt(succeeded: true, blockNumber: 10, head: nil, confirmations: 0) == .checkWitnesses)
        #expect(Rules.receipt(succeeded: true, blockNumber: 10, head: 11, confirmations: 2) == .waitForDepth)
        #expect(Rules.receipt(succeeded: true, blockNumber: 10, head: nil, confirmations: 2) == .waitForDepth)
        #expect(Rules.receipt(succeeded: true, blockNumber: 10, head: 12, confirmations: 2) == .recheckCanonical)
        // A reorg between the two reads: start over; the same block: on to the witnesses.
        #expect(Rules.canonical(sameBlock: false) == .reorged)
        #expect(Rules.canonical(sameBlock: true) == .checkWitnesses)
        #expect(Rules.witnesses(allHoldReceipt: true) == .confirm)
        #expect(Rules.witnesses(allHoldReceipt: false) == .wait)
    }

    @Test("a pending batch is replaced when due, re-broadcast every few seconds, else left alone")
    func pending() {
        #expect(Rules.pending(versions: 1, elapsed: .seconds(31), sinceRebroadcast: .seconds(1), policy: policy) == .replace)
        #expect(Rules.pending(versions: 1, elapsed: .seconds(10), sinceRebroadcast: nil, policy: policy) == .rebroadcast)
        #expect(Rules.pending(versions: 1, elapsed: .seconds(10), sinceRebroadcast: .seconds(6), policy: policy) == .rebroadcast)
        #expect(Rules.pending(versions: 1, elapsed: .seconds(10), sinceRebroadcast: .seconds(2), policy: policy) == .wait)
        // The version cap: never a 13th version, however long it waits.
        #expect(Rules.pending(versions: 12, elapsed: .seconds(86_400), sinceRebroadcast: .seconds(1), policy: policy) == .wait)
        #expect(Rules.rebroadcastDue(sinceRebroadcast: nil))
        #expect(!Rules.rebroadcastDue(sinceRebroadcast: .seconds(5)))
    }

    @Test("pool answers: already known and nonce too low are done, underpriced and outages wait, the rest fails the round")
    func poolAnswers() {
        #expect(Rules.send(.accepted) == .done)
        #expect(Rules.send(.alreadyKnown) == .done)
        #expect(Rules.send(.nonceTooLow) == .done)
        #expect(Rules.send(.replacementUnderpriced) == .retryLater)
        #expect(Rules.send(.underpricedOrPoolFull) == .retryLater)
        #expect(Rules.send(.nodeUnavailable) == .retryLater)
        #expect(Rules.send(.other) == .fail)
    }

    @Test("a new batch: sent with headroom, halved when it fills half a block, a row too large for a block is an error")
    func sizing() {
        let size = Rules.BatchSize(entries: 100, anchors: 4)
        #expect(Rules.afterSimulation(.gas(1_000_000), size: size, blockGasLimit: 30_000_000) == .send(gasLimit: 1_260_000))
        #expect(Rules.afterSimulation(.gas(29_000_000), size: size, blockGasLimit: 30_000_000) == .shrink(to: .init(entries: 50, anchors: 4)))
        // The gas limit never exceeds the block's.
        #expect(Rules.afterSimulation(.gas(25_000_000), size: .init(entries: 1, anchors: 0), blockGasLimit: 30_000_000) == .send(gasLimit: 30_000_000))
        #expect(Rules.afterSimulation(.gas(31_000_000), size: .init(entries: 1, anchors: 0), blockGasLimit: 30_000_000) == .rowTooLarge)
    }

    @Test("a poison row: a refusal that names no row halves the batch until one row is left; a named refusal is resolved at once")
    func poisonRow() {
        var size = Rules.BatchSize(entries: 8, anchors: 2)
        var steps = 0
        while case .shrink(let smaller) = Rules.afterSimulation(.refused(customError: nil), size: size, blockGasLimit: 30_000_000) {
            size = smaller
            steps += 1
        }
        // Entries first (8 → 4 → 2 → 1), then anchors (2 → 1), then the anchor alone.
        #expect(size == .init(entries: 0, anchors: 1))
        #expect(steps == 5)
        #expect(Rules.afterSimulation(.refused(customError: nil), size: size, blockGasLimit: 30_000_000) == .resolveRefusal)
        #expect(Rules.afterSimulation(.refused(customError: "ForeignDenial"), size: .init(entries: 50, anchors: 0), blockGasLimit: 30_000_000) == .resolveRefusal)
    }

    @Test("a batch after a confirmed one is not simulated: its gas is computed, above every measured cost, and it is halved like any other")
    func computedGas() {
        #expect(Rules.simulates(lastBatchConfirmed: false))
        #expect(!Rules.simulates(lastBatchConfirmed: true))
        // Measured on the dev chain (ContractTests prints them): 107,277 for one served entry,
        // 1,106,863 for 100 denials of distinct records, 4,467,359 for 500 entries; an anchor ≈ 205k.
        #expect(Rules.gasBound(.init(entries: 1, anchors: 0)) > 107_277)
        #expect(Rules.gasBound(.init(entries: 100, anchors: 0)) > 1_106_863 * 2)
        #expect(Rules.gasBound(.init(entries: 500, anchors: 0)) > 4_467_359 * 2)
        #expect(Rules.gasBound(.init(entries: 0, anchors: 20)) > 20 * 205_000)
        let bound = Rules.gasBound(.init(entries: 100, anchors: 20))
        #expect(Rules.withoutSimulation(size: .init(entries: 100, anchors: 20), blockGasLimit: 30_000_000) == .send(gasLimit: bound))
        // Over half a block: halved, as a simulated batch would be.
        #expect(Rules.withoutSimulation(size: .init(entries: 500, anchors: 100), blockGasLimit: 30_000_000) == .shrink(to: .init(entries: 250, anchors: 100)))
    }
}
