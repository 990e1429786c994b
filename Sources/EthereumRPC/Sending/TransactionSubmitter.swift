import BigInt
import EthereumCore
import Logging

/// Signs and sends one transaction at a time for an account and waits for its receipt: the
/// simple path used by command-line tools and tests. (A long-running writer that must survive
/// restarts keeps its nonces durably instead.)
public struct TransactionSubmitter: Sendable {
    public let client: EthereumClient
    public let key: any DigestSigner
    public let chainId: BigUInt
    /// How long to wait for a receipt.
    public var receiptTimeout: Duration
    /// How often to ask for it.
    public var pollInterval: Duration

    /// Checks the node's chain id against `expectedChainId` (if given): signing for another
    /// chain than the one configured would be a replayable mistake.
    public init(client: EthereumClient, key: any DigestSigner, expectedChainId: BigUInt? = nil,
                receiptTimeout: Duration = .seconds(120), pollInterval: Duration = .milliseconds(100)) async throws {
        let chainId = try await client.chainId()
        if let expectedChainId, expectedChainId != chainId {
            throw SubmissionError(
                .wrongChain, "the node is on chain \(chainId), the configuration says \(expectedChainId)")
        }
        self.client = client
        self.key = key
        self.chainId = chainId
        self.receiptTimeout = receiptTimeout
        self.pollInterval = pollInterval
    }

    /// Estimates gas (with a 25% margin, because estimates on some nodes fall short of
    /// what execution needs), prices, signs, sends and waits for the receipt. A reverted
    /// estimate or call surfaces as a ``SubmissionError`` with the revert data.
    public func submit(to: Address?, data: [UInt8], value: BigUInt = 0, gasLimit: UInt64? = nil) async throws -> TransactionReceipt {
        let gas: UInt64
        if let gasLimit {
            gas = gasLimit
        } else {
            do {
                let estimate = try await client.estimateGas(CallRequest(from: key.address, to: to, data: data, value: value))
                gas = estimate + estimate / 4
            } catch let error as JSONRPCError where error.revertData != nil {
                throw SubmissionError(.reverted, "the transaction would revert", revertData: error.revertData ?? [])
            }
        }
        let signed = try await send(to: to, data: data, value: value, gas: gas)
        let receipt = try await waitForReceipt(signed.hash)
        guard receipt.succeeded else {
            throw SubmissionError(.reverted, "transaction \(signed.hash) reverted in block \(receipt.blockNumber)", receipt: receipt)
        }
        return receipt
    }

    /// Signs and sends at the account's next nonce. The key may be shared with another sender
    /// (a hospital's administrator uses the custodian key while its gateway's log writer does):
    /// when that sender takes the nonce first, the transaction is signed again at a later one.
    ///
    /// Never twice: before signing again it looks for a receipt of every version it signed (a
    /// request resent after a closed connection may have landed, and then answers "nonce too
    /// low"), and it never signs again at a nonce it tried (that would replace the other
    /// sender's pending transaction): it waits until the node's count moves past it.
    func send(to: Address?, data: [UInt8], value: BigUInt, gas: UInt64) async throws -> SignedTransaction {
        var signedSoFar = [SignedTransaction]()
        var attempt = 0
        while true {
            attempt += 1
            let nonce = try await client.transactionCount(of: key.address, at: .pending)
            if let last = signedSoFar.last?.transaction.nonce, nonce <= last {
                guard attempt < Self.nonceAttempts else {
                    throw SubmissionError(.timeout, "the account's nonce \(last) stays taken by another transaction; nothing was sent")
                }
                try await Task.sleep(for: pollInterval)
                continue
            }
            let fees = try await FeeQuote.suggest(using: client)
            let signed = try fees.transaction(chainId: chainId, nonce: nonce, gasLimit: gas, to: to, value: value, data: data)
                .signed(with: key)
            do {
                try await client.sendRawTransaction(signed.raw)
                return signed
            } catch let error as JSONRPCError where error.isAlreadyKnown {
                // The same bytes are already pending: waiting for them is all there is to do.
                return signed
            } catch let error as JSONRPCError where (error.isNonceTooLow || error.isReplacementUnderpriced) && attempt < Self.nonceAttempts {
                signedSoFar.append(signed)
                for mine in signedSoFar where try await client.transactionReceipt(mine.hash) != nil {
                    return mine
                }
                try await Task.sleep(for: pollInterval)
            }
        }
    }

    /// How often a nonce taken by another sender of the same key is tried again.
    static let nonceAttempts = 8

    /// Polls for a receipt until it arrives or the timeout passes.
    public func waitForReceipt(_ hash: Bytes32) async throws -> TransactionReceipt {
        let deadline = ContinuousClock.now + receiptTimeout
        while true {
            if let receipt = try await client.transactionReceipt(hash) { return receipt }
            guard ContinuousClock.now < deadline else {
                throw SubmissionError(.timeout, "no receipt for \(hash) within \(receiptTimeout)")
            }
            try await Task.sleep(for: pollInterval)
        }
    }
}

/// A transaction that could not be submitted or did not succeed.
public struct SubmissionError: Error, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case wrongChain
        case reverted
        case timeout
    }

    public let code: Code
    public let message: String
    /// Revert data from the estimate or call, when the node returned it.
    public let revertData: [UInt8]?
    public let receipt: TransactionReceipt?

    public init(_ code: Code, _ message: String, revertData: [UInt8]? = nil, receipt: TransactionReceipt? = nil) {
        self.code = code
        self.message = message
        self.revertData = revertData
        self.receipt = receipt
    }

    public var description: String { "SubmissionError.\(code): \(message)" }
}
