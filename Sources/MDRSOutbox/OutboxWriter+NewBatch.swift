import BigInt
import EthereumCore
import EthereumRPC
import Foundation
import Logging
import MDRSChain
import MDRSCore
import MDRSPostgres

extension OutboxWriter {
    // MARK: A new batch

    func startBatch() async throws -> Bool {
        let anchors = try await store.pendingAnchors(limit: configuration.maximumAnchors)
        let entries = try await store.pendingEntries(limit: configuration.maximumEntries)
        guard !anchors.isEmpty || !entries.isEmpty else { return try await startReview() }

        // Numbered after everything this custodian logged; the contract refuses anything else
        // (OutOfSequence), which resolveSequence explains.
        let firstSequence = try await store.nextSequence(signer: key.address)
        var size = OutboxBatchRules.BatchSize(entries: entries.count, anchors: anchors.count)
        while true {
            let batchEntries = Array(entries.prefix(size.entries))
            let batchAnchors = Array(anchors.prefix(size.anchors))
            let data = batchAnchors.isEmpty
                ? try MedicalAccessContract.logAccess(firstSequence: firstSequence, batchEntries)
                : try MedicalAccessContract.publish(anchors: batchAnchors, firstSequence: firstSequence, entries: batchEntries)
            let step: OutboxBatchRules.NewBatchStep
            var refusal: RevertReason?
            do {
                let blockGasLimit = try await client.block(.latest)?.gasLimit ?? 30_000_000
                if OutboxBatchRules.simulates(lastBatchConfirmed: confirmedLast.value && !boundTooLow.value) {
                    let estimate = try await client.estimateGas(CallRequest(from: key.address, to: contract.address, data: data))
                    step = OutboxBatchRules.afterSimulation(.gas(estimate), size: size, blockGasLimit: blockGasLimit)
                } else {
                    step = OutboxBatchRules.withoutSimulation(size: size, blockGasLimit: blockGasLimit)
                }
            } catch let error as JSONRPCError where error.revertData != nil {
                let reason = MedicalAccessABI.revertReason(error.revertData ?? [])
                refusal = reason
                step = OutboxBatchRules.afterSimulation(.refused(customError: reason.customName), size: size, blockGasLimit: 0)
            }
            switch step {
            case .shrink(let smaller):
                size = smaller
            case .resolveRefusal:
                confirmedLast.value = false
                guard let refusal else { return false }
                try await confirmRefusal(refusal, data: data)
                try await resolveRefusal(refusal, anchors: batchAnchors, entries: batchEntries)
                return true
            case .send(let gasLimit):
                let nonce = try await client.transactionCount(of: key.address, at: .pending)
                let fees = policy.initialFees(market: try await FeeQuote.suggest(using: client))
                let signed = try fees.transaction(chainId: chainId, nonce: nonce, gasLimit: gasLimit, to: contract.address, data: data)
                    .signed(with: key)
                let batchId = try await store.createBatch(
                    signer: key.address, transaction: signed, anchors: batchAnchors.map(\.recordId), entries: batchEntries.map(\.requestId),
                    firstSequence: firstSequence)
                logger.debug("log batch sent", metadata: ["batch": "\(batchId)", "tx": "\(signed.hash)", "entries": "\(batchEntries.count)", "anchors": "\(batchAnchors.count)"])
                try await send(signed, batch: batchId)
                return true
            case .rowTooLarge:
                throw GatewayError(.invalidConfiguration, "a single outbox row needs more gas than a block holds")
            }
        }
    }
}
