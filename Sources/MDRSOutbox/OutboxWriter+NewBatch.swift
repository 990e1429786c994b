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
        var anchors = try await store.pendingAnchors(limit: configuration.maximumAnchors)
        var entries = try await store.pendingEntries(limit: configuration.maximumEntries)
        guard !anchors.isEmpty || !entries.isEmpty else { return false }

        while true {
            let data = anchors.isEmpty
                ? try MedicalAccessContract.logAccess(entries)
                : try MedicalAccessContract.publish(anchors: anchors, entries: entries)
            let estimate: UInt64
            do {
                estimate = try await client.estimateGas(CallRequest(from: key.address, to: contract.address, data: data))
            } catch let error as JSONRPCError where error.revertData != nil {
                let reason = MedicalAccessABI.revertReason(error.revertData ?? [])
                if reason.customName == nil && anchors.count + entries.count > 1 {
                    // A refusal that names no row: halve the batch until the row that causes
                    // it is alone, so one bad row cannot stall the whole log.
                    if entries.count > 1 { entries = Array(entries.prefix(entries.count / 2)) }
                    else if anchors.count > 1 { anchors = Array(anchors.prefix(anchors.count / 2)) }
                    else { entries = [] }
                    continue
                }
                try await confirmRefusal(reason, data: data)
                try await resolveRefusal(reason, anchors: anchors, entries: entries)
                return true
            }
            // Keep a batch well inside a block: shrink it until it is (entries first, then
            // anchors, then send the anchor alone).
            let blockGasLimit = try await client.block(.latest)?.gasLimit ?? 30_000_000
            if estimate > blockGasLimit / 2 && anchors.count + entries.count > 1 {
                if entries.count > 1 {
                    entries = Array(entries.prefix(entries.count / 2))
                } else if anchors.count > 1 {
                    anchors = Array(anchors.prefix(anchors.count / 2))
                } else {
                    entries = []
                }
                continue
            }
            guard estimate <= blockGasLimit else { break }
            let gasLimit = min(estimate + estimate / 4 + 10_000, blockGasLimit)
            let nonce = try await client.transactionCount(of: key.address, at: .pending)
            let fees = policy.initialFees(market: try await FeeQuote.suggest(using: client))
            let signed = try fees.transaction(chainId: chainId, nonce: nonce, gasLimit: gasLimit, to: contract.address, data: data)
                .signed(with: key)
            let batchId = try await store.createBatch(
                signer: key.address, transaction: signed, anchors: anchors.map(\.recordId), entries: entries.map(\.requestId))
            logger.debug("log batch sent", metadata: ["batch": "\(batchId)", "tx": "\(signed.hash)", "entries": "\(entries.count)", "anchors": "\(anchors.count)"])
            try await send(signed, batch: batchId)
            return true
        }
        throw GatewayError(.invalidConfiguration, "a single outbox row needs more gas than a block holds")
    }
}
