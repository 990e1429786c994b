import BigInt
import struct Foundation.Data

/// A signed transaction: its raw bytes for `eth_sendRawTransaction`, its hash and its sender.
public struct SignedTransaction: Equatable, Sendable {
    public let transaction: Transaction
    public let signature: Signature
    /// The bytes a node accepts.
    public let raw: [UInt8]
    /// The transaction hash: Keccak-256 of `raw`.
    public let hash: Bytes32
    /// The sender, recovered from the signature.
    public let from: Address

    /// Combines a transaction and its signature.
    public init(transaction: Transaction, signature: Signature) throws {
        self.transaction = transaction
        self.signature = signature
        switch transaction {
        case .legacy(let tx): self.raw = tx.raw(with: signature)
        case .eip1559(let tx): self.raw = tx.raw(with: signature)
        }
        self.hash = Bytes32.keccak(raw)
        do {
            self.from = try Address(recoveringFrom: signature, digest: transaction.signingHash)
        } catch {
            throw TransactionError(.invalidSignature, "the signature recovers no sender: \(error)")
        }
    }

    /// Decodes a raw signed transaction (legacy with EIP-155, or type 2) and recovers its sender.
    public init(raw: [UInt8]) throws {
        guard let first = raw.first else { throw TransactionError(.malformed, "empty transaction") }
        if first >= 0xC0 {
            try self.init(legacy: raw)
        } else if first == EIP1559Transaction.typeByte {
            try self.init(eip1559: raw)
        } else {
            throw TransactionError(.unsupportedType, "transaction type 0x\(String(first, radix: 16)) is not supported")
        }
    }

    private init(legacy raw: [UInt8]) throws {
        let fields = try RLPItem(decoding: raw).asList()
        guard fields.count == 9 else {
            throw TransactionError(.malformed, "a legacy transaction has 9 fields, found \(fields.count)")
        }
        let v = try fields[6].asBigUInt()
        guard v >= 37 else {
            throw TransactionError(.invalidSignature, "transaction is not EIP-155 replay-protected (v = \(v))")
        }
        let chainId = (v - 35) / 2
        let recoveryId = UInt8((v - 35) % 2)
        let tx = LegacyTransaction(
            chainId: chainId,
            nonce: try fields[0].asUInt64(),
            gasPrice: try fields[1].asBigUInt(),
            gasLimit: try fields[2].asUInt64(),
            to: try Self.recipient(fields[3]),
            value: try fields[4].asBigUInt(),
            data: try fields[5].asBytes()
        )
        let signature = try Signature(r: try Self.word(fields[7]), s: try Self.word(fields[8]), recoveryId: recoveryId)
        try self.init(transaction: .legacy(tx), signature: signature)
        guard self.raw == raw else { throw TransactionError(.malformed, "transaction is not canonically encoded") }
    }

    private init(eip1559 raw: [UInt8]) throws {
        let fields = try RLPItem(decoding: Array(raw.dropFirst())).asList()
        guard fields.count == 12 else {
            throw TransactionError(.malformed, "a type-2 transaction has 12 fields, found \(fields.count)")
        }
        let yParity = try fields[9].asUInt64()
        guard yParity <= 1 else { throw TransactionError(.invalidSignature, "yParity must be 0 or 1") }
        let tx = EIP1559Transaction(
            chainId: try fields[0].asBigUInt(),
            nonce: try fields[1].asUInt64(),
            maxPriorityFeePerGas: try fields[2].asBigUInt(),
            maxFeePerGas: try fields[3].asBigUInt(),
            gasLimit: try fields[4].asUInt64(),
            to: try Self.recipient(fields[5]),
            value: try fields[6].asBigUInt(),
            data: try fields[7].asBytes(),
            accessList: try fields[8].asList().map(AccessListEntry.init(rlp:))
        )
        let signature = try Signature(
            r: try Self.word(fields[10]), s: try Self.word(fields[11]), recoveryId: UInt8(yParity))
        try self.init(transaction: .eip1559(tx), signature: signature)
        guard self.raw == raw else { throw TransactionError(.malformed, "transaction is not canonically encoded") }
    }

    private static func recipient(_ item: RLPItem) throws -> Address? {
        let bytes = try item.asBytes()
        return bytes.isEmpty ? nil : try Address(bytes: bytes)
    }

    private static func word(_ item: RLPItem) throws -> [UInt8] {
        guard let word = try item.asBigUInt().bigEndianBytes(width: 32) else {
            throw TransactionError(.invalidSignature, "signature value wider than 32 bytes")
        }
        return word
    }
}
