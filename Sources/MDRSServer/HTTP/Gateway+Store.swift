import EthereumCore
import Foundation
import HTTPTypes
import Hummingbird
import MDRSCore
import MDRSPostgres
import MDRSProtocol
import NIOCore
import PostgresNIO

extension Gateway {
    /// A media type as RFC 9110 writes it (`type "/" subtype *( OWS ";" OWS parameter )`), in
    /// printable ASCII: it is served back with the record and read by browsers, so nothing
    /// looser is kept.
    static func isMediaType(_ text: String) -> Bool {
        guard (1...255).contains(text.utf8.count), text.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else { return false }
        let token = { (part: Substring) -> Bool in
            !part.isEmpty && part.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
        let essence = text.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let parts = essence.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && token(parts[0]) && token(parts[1])
    }

    /// Serves `POST /v1/records`: a hospital system streams a record for a patient.
    public func storeRecord(_ request: Request) async throws -> Response {
        do {
            let signed = try signedHeaders(request)
            let patient = try header(request, SignedRequest.Header.patient) { try Address($0) }
            let contentSHA256 = try header(request, SignedRequest.Header.contentSHA256) { try Bytes32($0) }
            guard let contentType = request.headers[.contentType], Self.isMediaType(contentType) else {
                throw APIError(.badRequest, "a record needs a Content-Type: type/subtype, in ASCII, at most 255 bytes")
            }
            guard patient != .zero else { throw APIError(.badRequest, "the patient address is zero") }
            if let length = request.headers[.contentLength].flatMap(Int64.init), length > configuration.storage.maximumRecordSize {
                throw APIError(.recordTooLarge, "the record exceeds the limit of \(configuration.storage.maximumRecordSize) bytes")
            }
            let typedData = SignedRequest.store(
                patient: patient, contentType: contentType, contentSHA256: contentSHA256, nonce: signed.nonce,
                issuedAt: signed.issuedAt, custodian: custodian, chainId: chainId, contract: contract)
            try await checkReady(for: .store)
            let signer = try self.signer(of: typedData, signed)
            // This custodian's staff before the nonce: a stranger's signature costs no row.
            guard try await chain.staff(signer)?.custodian == custodian else {
                throw APIError(.notCustodianStaff, "the request is not signed by registered staff of this custodian")
            }
            try await checkFreshness(signer: signer, signed)

            let recordId = Bytes32.random()
            let encryptedAddress = try sealer.sealBytes(recordId: recordId)
            let logger = self.logger
            let metrics = self.metrics
            let counted = CheckedBody(base: request.body, expectedLength: request.headers[.contentLength].flatMap(Int64.init)) {
                metrics.bytesStreamed($0, direction: "in")
            }
            let record = try await store.write(
                patient: patient, contentType: contentType, body: counted, recordId: recordId,
                expectedSHA256: contentSHA256
            ) { connection, sha256 in
                try await OutboxStore.insertAnchor(
                    RecordAnchorInput(recordId: recordId, patient: patient, contentHash: sha256, encryptedAddress: encryptedAddress),
                    on: connection, logger: logger)
            }
            outboxStatus.noteInsert(.anchor)
            metrics.request(route: "store", outcome: "stored")
            logger.info("record stored", metadata: ["record": "\(recordId)", "bytes": "\(record.size)", "staff": "\(signer)"])
            let body = StoreResponse(
                recordId: recordId.hex, encryptedAddress: Base64URL.encode(encryptedAddress), sha256: record.sha256.hex,
                size: record.size, contentType: contentType, patient: patient.checksummed, anchor: "pending")
            return try Response.json(body, status: .created)
        } catch {
            let refusal = APIError(error)
            if refusal.code == .internalError {
                logger.error("store failed", metadata: ["error": "\(error)"])
            }
            metrics.request(route: "store", outcome: refusal.code.rawValue)
            throw refusal
        }
    }

    /// Serves `GET /v1/records/{id}/anchor`.
    public func anchorStatus(recordId: Bytes32) async throws -> AnchorStatus {
        do {
            return try await readAnchorStatus(recordId)
        } catch {
            throw APIError(error)
        }
    }

    private func readAnchorStatus(_ recordId: Bytes32) async throws -> AnchorStatus {
        let rows = try await outbox.client.query(
            "SELECT chain_state, tx_hash, block_number, chain_error FROM record_anchors WHERE record_id = \(recordId.buffer)",
            logger: logger)
        for try await (state, tx, block, error) in rows.decode((String, ByteBuffer?, Int64?, String?).self) {
            return AnchorStatus(
                recordId: recordId.hex, status: state, transactionHash: tx.map { Hex.encode(Array(buffer: $0)) },
                blockNumber: block, error: error)
        }
        throw APIError(.recordNotFound, "no record \(recordId.hex) was stored here")
    }
}
