import BigInt
import EthereumCore
import EthereumRPC
import Foundation
import MDRSChain
import MDRSCore
import MDRSPostgres

extension OutboxWriter {
    // MARK: An auditor's review of an emergency

    /// Records the oldest waiting review on-chain (`reviewEmergency`), in a batch of its own:
    /// sent, replaced, confirmed or given back like any other. Reviews go when no access entry
    /// or anchor waits. Every review is simulated first: a refusal is settled, never sent.
    func startReview() async throws -> Bool {
        guard lastReviewLook.due(every: Self.reviewLookInterval), let review = try await store.pendingReview() else { return false }
        let data = try MedicalAccessContract.reviewEmergency(
            review.emergency, reviewer: review.reviewer, verdict: review.verdict, note: review.noteHash)
        let gas: UInt64
        do {
            gas = try await client.estimateGas(CallRequest(from: key.address, to: contract.address, data: data))
        } catch let error as JSONRPCError where error.revertData != nil {
            let reason = MedicalAccessABI.revertReason(error.revertData ?? [])
            try await confirmRefusal(reason, data: data)
            try await resolveReviewRefusal(reason, review: review)
            return true
        }
        let nonce = try await client.transactionCount(of: key.address, at: .pending)
        let fees = policy.initialFees(market: try await FeeQuote.suggest(using: client))
        let signed = try fees.transaction(chainId: chainId, nonce: nonce, gasLimit: gas + gas / 5, to: contract.address, data: data)
            .signed(with: key)
        let batchId = try await store.createBatch(
            signer: key.address, transaction: signed, anchors: [], entries: [], firstSequence: 0, review: review.emergency)
        logger.info("emergency review sent", metadata: ["batch": "\(batchId)", "tx": "\(signed.hash)", "emergency": "\(review.emergency)"])
        try await send(signed, batch: batchId)
        return true
    }

    /// The contract refuses the review: already reviewed (by a transaction of ours that landed
    /// unseen, if the chain holds this very review), or the emergency is not this custodian's.
    private func resolveReviewRefusal(_ reason: RevertReason, review: OutboxStore.PendingReview) async throws {
        if reason.customName == MedicalAccessError.emergencyAlreadyReviewed.rawValue,
            let onChain = try await contract.emergency(review.emergency),
            onChain.reviewer == review.reviewer, onChain.verdict == review.verdict, onChain.reviewNote == review.noteHash
        {
            try await store.settleReview(review.emergency, confirmedAt: try await client.blockNumber())
            logger.info("emergency review was already on-chain; marked", metadata: ["emergency": "\(review.emergency)"])
            return
        }
        logger.error(
            "the contract refuses an emergency review; kept here as rejected",
            metadata: ["emergency": "\(review.emergency)", "reason": "\(reason)"])
        try await store.settleReview(review.emergency, confirmedAt: nil, error: reason.customName ?? "\(reason)")
    }
}
