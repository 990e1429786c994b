import EthereumCore
import Foundation
import Hummingbird
import MDRSCore
import MDRSPostgres
import MDRSProtocol

extension AuditController {
    /// The body of a review: the verdict in words and the note.
    struct ReviewBody: Decodable {
        let verdict: String
        let note: String
    }

    /// The longest note, in UTF-8 bytes.
    static let maximumNoteBytes = 4000

    /// `GET /v1/emergencies`: the emergencies (break-glass) released here, for this custodian's
    /// auditors; `reviewed=false` lists the queue still to review.
    func emergencies(_ request: Request) async throws -> Response {
        var reviewed: Bool?
        for (name, value) in request.uri.queryParameters {
            guard name == "reviewed", value == "true" || value == "false" else {
                throw APIError(.badRequest, "unknown query parameter \(name)=\(value); use reviewed=true or reviewed=false")
            }
            guard reviewed == nil else { throw APIError(.badRequest, "query parameter reviewed given twice") }
            reviewed = value == "true"
        }
        try await authenticate(request)
        let queue = EmergencyQueue(custodian: authenticator.domain.custodian.checksummed, emergencies: try await emergencyStore.queue(reviewed: reviewed))
        return try Response.json(queue)
    }

    /// `POST /v1/emergencies/{emergency}/review`: an auditor's verdict on an emergency released
    /// here, signed by them; kept, then recorded on-chain by the outbox. Once per emergency.
    func reviewEmergency(_ request: Request, emergency text: String) async throws -> Response {
        guard let emergency = try? Bytes32(text) else { throw APIError(.badRequest, "malformed emergency id") }
        guard request.uri.queryParameters.isEmpty else { throw APIError(.badRequest, "this route takes no query parameters") }
        let buffer = try await request.body.collect(upTo: 16 * 1024)
        guard let body = try? JSONDecoder().decode(ReviewBody.self, from: Data(buffer.readableBytesView)) else {
            throw APIError(.badRequest, "the body must be JSON: {\"verdict\": \"justified\" or \"not_justified\", \"note\": \"...\"}")
        }
        let verdict: UInt8
        switch body.verdict {
        case "justified": verdict = 1
        case "not_justified": verdict = 2
        default: throw APIError(.badRequest, "verdict must be justified or not_justified")
        }
        let note = body.note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !note.isEmpty, note.utf8.count <= Self.maximumNoteBytes else {
            throw APIError(.badRequest, "the note must be 1 to \(Self.maximumNoteBytes) bytes: say why")
        }
        let signature = try authenticator.signature(.headers(request))
        let signer = try authenticator.signer(
            of: SignedRequest.emergencyReview(
                emergency: emergency, verdict: verdict, note: body.note, nonce: signature.nonce, issuedAt: signature.issuedAt,
                domain: authenticator.domain),
            signature)
        guard auditors.contains(signer) else { throw APIError(.notAuditor, "\(signer) is not an auditor of this custodian") }
        try await authenticator.claimFreshness(signer: signer, signature)
        guard try await emergencyStore.releasedIn(emergency) else {
            throw APIError(.emergencyNotFound, "no record was released here in an emergency with this id")
        }
        let bytes = signature.signature.bytes()
        let review = EmergencyStore.SignedReview(
            emergency: emergency, reviewer: signer, verdict: verdict, note: body.note, nonce: signature.nonce, issuedAt: signature.issuedAt,
            signature: bytes)
        guard try await emergencyStore.insert(review) else {
            throw APIError(.emergencyAlreadyReviewed, "this emergency has been reviewed already; a review is final")
        }
        logger.notice("emergency reviewed", metadata: ["emergency": "\(emergency)", "verdict": "\(verdict)", "reviewer": "\(signer)"])
        let answer = EmergencyQueue.Review(
            verdict: Int(verdict), verdictText: EmergencyQueue.Review.words(Int(verdict)), note: body.note, reviewer: signer.checksummed,
            reviewedAt: signature.issuedAt, signature: Hex.encode(bytes), transactionHash: nil, blockNumber: nil)
        return try Response.json(answer, status: .created)
    }
}
