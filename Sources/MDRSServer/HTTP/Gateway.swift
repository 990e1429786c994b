import BigInt
import EthereumCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MDRSChain
import MDRSCore
import MDRSPostgres
import MDRSProtocol
import NIOCore

/// The gateway's decisions: who may store, who may fetch which record, what is logged. The
/// HTTP controllers translate requests into calls here.
public struct Gateway: Sendable {
    public let configuration: GatewayConfiguration
    /// This custodian's on-chain identity: the address of its signing key.
    public let custodian: Address
    public let chainId: BigUInt
    public let store: RecordStore
    public let sealer: AddressSealer
    public let chain: ChainState
    let outbox: OutboxStore
    let outboxStatus: OutboxStatus
    let nonces: NonceStore
    /// Which refusals get rows and on-chain entries (see ``logRefusal``).
    let refusalBudget: RefusalBudget
    let metrics: GatewayMetrics
    let logger: Logger

    var contract: Address { configuration.chain.contract }

    /// What `GET /v1/info` answers.
    var info: GatewayInfo {
        let definitions = SignedRequest.typeDefinitions(chainId: chainId, contract: contract)
        return GatewayInfo(
            custodian: custodian.checksummed, chainId: String(chainId), contract: contract.checksummed, version: "1",
            typedData: .init(domain: definitions.domain, types: definitions.types), fromBlock: String(configuration.chain.fromBlock),
            wallet: configuration.portal.walletRPCURL.map { .init(rpcUrl: $0, chainName: configuration.portal.chainName) })
    }

    /// The signed headers common to every authenticated request.
    struct SignedHeaders {
        let nonce: Bytes32
        let issuedAt: UInt64
        let signature: Signature
        let signatureHash: Bytes32
    }

    /// Where a request's signed fields travel: in headers (every client), or, for a fetch, in
    /// the query string of a single-use signed URL (a plain browser download cannot add
    /// headers). Either way the same fields are signed and checked the same way.
    struct SignedFields {
        let lookup: @Sendable (String) -> String?
        let describe: @Sendable (String) -> String
        /// The fields came in the query string of a signed URL.
        var isSignedURL = false

        static func headers(_ request: Request) -> SignedFields {
            let headers = request.headers
            return SignedFields(lookup: { headers[.mdrs($0)] }, describe: { "header \($0)" })
        }

        /// The query-string names of the signed fields of a signed URL.
        static let queryNames = [
            SignedRequest.Header.token: "token", SignedRequest.Header.purpose: "purpose", SignedRequest.Header.nonce: "nonce",
            SignedRequest.Header.issuedAt: "issuedAt", SignedRequest.Header.signature: "signature",
        ]

        /// The signed fields of a signed URL; nil if the request has no query string. A query
        /// string with other parameters, or a request that also signs in headers, is refused:
        /// one request, one set of signed fields.
        static func query(_ request: Request) throws -> SignedFields? {
            let parameters = request.uri.queryParameters
            guard !parameters.isEmpty else { return nil }
            var values = [String: String]()
            for (name, value) in parameters {
                guard Self.queryNames.values.contains(String(name)) else {
                    throw APIError(.badRequest, "unknown query parameter \(name); a signed URL carries \(Self.queryNames.values.sorted().joined(separator: ", "))")
                }
                guard values[String(name)] == nil else { throw APIError(.badRequest, "query parameter \(name) given twice") }
                values[String(name)] = String(value)
            }
            if Self.queryNames.keys.contains(where: { request.headers[.mdrs($0)] != nil }) {
                throw APIError(.badRequest, "sign in headers or in the URL, not both")
            }
            let signed = values
            return SignedFields(
                lookup: { header in Self.queryNames[header].flatMap { signed[$0] } },
                describe: { "query parameter \(Self.queryNames[$0] ?? $0)" }, isSignedURL: true)
        }
    }

    func signedHeaders(_ request: Request) throws -> SignedHeaders {
        try signedHeaders(.headers(request))
    }

    func signedHeaders(_ fields: SignedFields) throws -> SignedHeaders {
        guard let signatureText = fields.lookup(SignedRequest.Header.signature) else {
            throw APIError(.signatureMissing, "the request carries no \(fields.describe(SignedRequest.Header.signature))")
        }
        let signatureBytes: [UInt8]
        let signature: Signature
        do {
            signatureBytes = try Hex.decode(signatureText)
            signature = try Signature(bytes: signatureBytes)
        } catch {
            throw APIError(.signatureInvalid, "\(fields.describe(SignedRequest.Header.signature)) is not a 65-byte signature")
        }
        return SignedHeaders(
            nonce: try field(fields, SignedRequest.Header.nonce) { try Bytes32($0) },
            issuedAt: try field(fields, SignedRequest.Header.issuedAt) { UInt64($0) },
            signature: signature, signatureHash: Bytes32.keccak(signatureBytes))
    }

    /// A required header, parsed; a missing or malformed one is a 400 naming it.
    func header<T>(_ request: Request, _ name: String, _ parse: (String) throws -> T?) throws -> T {
        try field(.headers(request), name, parse)
    }

    /// A required signed field, parsed; a missing or malformed one is a 400 naming it.
    func field<T>(_ fields: SignedFields, _ name: String, _ parse: (String) throws -> T?) throws -> T {
        guard let text = fields.lookup(name) else {
            throw APIError(.badRequest, "missing \(fields.describe(name))")
        }
        guard let value = try? parse(text) else {
            throw APIError(.badRequest, "malformed \(fields.describe(name))")
        }
        return value
    }

    /// The signer of `typedData`.
    func signer(of typedData: TypedData, _ headers: SignedHeaders) throws -> Address {
        do {
            return try typedData.recoverSigner(headers.signature)
        } catch {
            throw APIError(.signatureInvalid, "the signature does not recover a signer")
        }
    }

    /// The request must be recent, and its nonce unused.
    /// `window` narrows the accepted time for this request (a signed URL's is shorter: it is a
    /// link that someone could find); the nonce is kept for the full request window either way,
    /// so the same signature cannot come back later in headers.
    func checkFreshness(signer: Address, _ headers: SignedHeaders, window narrower: Duration? = nil) async throws {
        let now = UInt64(Date().timeIntervalSince1970)
        let full = UInt64(max(configuration.requestWindow.components.seconds, 1))
        let window = min(full, narrower.map { UInt64(max($0.components.seconds, 1)) } ?? full)
        // Compared by distance, never by adding to the client's number (which may be anything).
        let distance = headers.issuedAt > now ? headers.issuedAt - now : now - headers.issuedAt
        guard distance <= window else {
            throw APIError(.requestStale, "the request was signed at \(headers.issuedAt), outside ±\(window) s of the gateway's clock (\(now))")
        }
        let expiry = Date(timeIntervalSince1970: TimeInterval(headers.issuedAt + full + 1))
        guard try await nonces.claim(signer: signer, nonce: headers.nonce, until: expiry) else {
            throw APIError(.nonceReused, "this request nonce was used before")
        }
    }

    /// What a request is about to do, for ``checkReady(for:)``.
    enum Intent {
        /// Release a record: needs its access to reach the chain in time.
        case fetch
        /// Store a record: needs its anchor to reach the chain in time.
        case store
    }

    /// Refuses to decide while the chain cannot be read, this custodian is not active on-chain
    /// (its log entries would be refused), or the part of the outbox this request adds to is
    /// stalled: served accesses for a fetch, anchors for a store. Denials never stall anything.
    func checkReady(for intent: Intent) async throws {
        do {
            _ = try chain.freshHead()
            guard try await chain.custodianActive(custodian) else {
                throw APIError(.custodianInactive, "this gateway's custodian is not registered (or was deregistered) on-chain")
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(error)
        }
        let bound = configuration.outbox.stallBound.seconds
        switch intent {
        case .fetch:
            let rejected = outboxStatus.unreviewedRejections
            if rejected > 0 {
                throw APIError(
                    .auditLogStalled,
                    "\(rejected) released record(s) could not be accounted for on-chain; nothing is released until the hospital has reviewed them")
            }
            let age = outboxStatus.servedAge
            if age > bound {
                throw APIError(.auditLogStalled, "the on-chain access log is \(Int(age)) s behind; no record is released until it catches up")
            }
        case .store:
            let age = outboxStatus.anchorAge
            if age > bound {
                throw APIError(.auditLogStalled, "record anchors are \(Int(age)) s behind on-chain; no record is stored until they catch up")
            }
        }
    }
}
