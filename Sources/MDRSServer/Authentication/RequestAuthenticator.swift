import EthereumCore
import Foundation
import MDRSCore
import MDRSPostgres
import MDRSProtocol

/// Checks the signature, time and nonce every signed request carries, for one
/// ``SigningDomain``. Controllers decide who the signer must be between ``signer(of:_:)`` and
/// ``claimFreshness(signer:_:window:)``: a stranger's key must cost no nonce row.
struct RequestAuthenticator: Sendable {
    /// The signed fields common to every authenticated request.
    struct Signature: Sendable {
        let nonce: Bytes32
        let issuedAt: UInt64
        let signature: EthereumCore.Signature
        /// Keccak-256 of the 65 signature bytes, kept with the access row.
        let hash: Bytes32
    }

    let domain: SigningDomain
    let nonces: NonceStore
    /// The request window: requests signed further from the gateway's clock are stale.
    let window: Duration
    let clock: any WallClock

    /// The signature, nonce and time of a request.
    func signature(_ fields: SignedFields) throws -> Signature {
        guard let signatureText = fields.lookup(SignedRequest.Header.signature) else {
            throw APIError(.signatureMissing, "the request carries no \(fields.describe(SignedRequest.Header.signature))")
        }
        let bytes: [UInt8]
        let signature: EthereumCore.Signature
        do {
            bytes = try Hex.decode(signatureText)
            signature = try EthereumCore.Signature(bytes: bytes)
        } catch {
            throw APIError(.signatureInvalid, "\(fields.describe(SignedRequest.Header.signature)) is not a 65-byte signature")
        }
        return Signature(
            nonce: try fields.require(SignedRequest.Header.nonce) { try Bytes32($0) },
            issuedAt: try fields.require(SignedRequest.Header.issuedAt) { UInt64($0) },
            signature: signature, hash: Bytes32.keccak(bytes))
    }

    /// The signer of `typedData`.
    func signer(of typedData: TypedData, _ signature: Signature) throws -> Address {
        do {
            return try typedData.recoverSigner(signature.signature)
        } catch {
            throw APIError(.signatureInvalid, "the signature does not recover a signer")
        }
    }

    /// The request must be recent, and its nonce unused. `narrower` narrows the accepted time
    /// for this request (a signed URL's is shorter: it is a link that someone could find); the
    /// nonce is kept for the full request window either way, so the same signature cannot come
    /// back later in headers.
    func claimFreshness(signer: Address, _ signature: Signature, window narrower: Duration? = nil) async throws {
        try await claim(try freshness(signer: signer, signature, window: narrower))
    }

    /// The request must be recent: then its nonce is the claim this returns, for the caller to
    /// make with ``claim(_:)`` or together with the row it allows (a served fetch's access row).
    func freshness(signer: Address, _ signature: Signature, window narrower: Duration? = nil) throws -> NonceClaim {
        let now = clock.unixTime
        let full = UInt64(max(window.components.seconds, 1))
        let accepted = min(full, narrower.map { UInt64(max($0.components.seconds, 1)) } ?? full)
        // Compared by distance, never by adding to the client's number (which may be anything).
        let distance = signature.issuedAt > now ? signature.issuedAt - now : now - signature.issuedAt
        guard distance <= accepted else {
            throw APIError(.requestStale, "the request was signed at \(signature.issuedAt), outside ±\(accepted) s of the gateway's clock (\(now))")
        }
        return NonceClaim(
            signer: signer, nonce: signature.nonce, expiry: Date(timeIntervalSince1970: TimeInterval(signature.issuedAt + full + 1)))
    }

    /// Claims a checked request's nonce: it can be used once.
    func claim(_ nonce: NonceClaim) async throws {
        guard try await nonces.claim(nonce) else { throw Self.nonceReused }
    }

    static let nonceReused = APIError(.nonceReused, "this request nonce was used before")
}
