import AsyncHTTPClient
import BigInt
import Crypto
import EthereumCore
import Foundation
import HTTPTypes
import MDRSProtocol
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A client of the gateway's API that signs its requests: what `mdrs put`, `mdrs fetch` and
/// `mdrs audit` use, and what the end-to-end tests drive.
public struct GatewayClient: Sendable {
    public let baseURL: String
    public let key: any DigestSigner
    public let info: GatewayInfo
    /// What this gateway's requests are signed for, from its `/v1/info`.
    public let domain: SigningDomain
    let httpClient: HTTPClient

    /// Connects to the gateway at `baseURL` and reads who it is. With `expectedChainId` and
    /// `expectedContract`, refuses a gateway bound to another chain or contract.
    public init(baseURL: String, key: any DigestSigner, httpClient: HTTPClient, expectedChainId: BigUInt? = nil, expectedContract: Address? = nil) async throws {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.key = key
        self.httpClient = httpClient
        let response = try await httpClient.execute(HTTPClientRequest(url: self.baseURL + "/v1/info"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 16)
        guard response.status == .ok, let info = try? JSONDecoder().decode(GatewayInfo.self, from: body) else {
            throw GatewayClientError(status: Int(response.status.code), code: "no_gateway", message: "\(baseURL) is not an MDRS gateway")
        }
        guard let custodian = try? Address(info.custodian), let contract = try? Address(info.contract),
            let chainId = BigUInt(info.chainId, radix: 10)
        else {
            throw GatewayClientError(status: 0, code: "bad_info", message: "the gateway's /v1/info is malformed")
        }
        if let expectedChainId, expectedChainId != chainId {
            throw GatewayClientError(status: 0, code: "wrong_chain", message: "the gateway is on chain \(chainId), expected \(expectedChainId)")
        }
        if let expectedContract, expectedContract != contract {
            throw GatewayClientError(status: 0, code: "wrong_contract", message: "the gateway uses contract \(contract), expected \(expectedContract)")
        }
        self.info = info
        self.domain = SigningDomain(chainId: chainId, contract: contract, custodian: custodian)
    }

    package func signedHeaders(_ typedData: (Bytes32, UInt64) -> TypedData) throws -> HTTPHeaders {
        let nonce = Bytes32.random()
        let issuedAt = UInt64(Date().timeIntervalSince1970)
        let signature = try typedData(nonce, issuedAt).sign(with: key)
        return [
            SignedRequest.Header.nonce: nonce.hex, SignedRequest.Header.issuedAt: String(issuedAt),
            SignedRequest.Header.signature: signature.hex,
        ]
    }

    /// How far a transfer is: bytes done, and the total when it is known.
    public typealias Progress = @Sendable (_ done: Int64, _ total: Int64?) -> Void

    /// Stores the file at `path` for `patient`, streaming it (its SHA-256 is computed first,
    /// in one pass, so memory stays flat); `progress` is told as each piece is read.
    public func store(
        file path: String, patient: Address, contentType: String, document: DocumentMetadata? = nil, progress: Progress? = nil
    ) async throws -> StoreResponse {
        let sha256 = try FileChunks.sha256(of: path)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        var chunks = FileChunks(path: path)
        if let progress {
            let total = Int64(size)
            chunks.progress = { @Sendable done in progress(done, total) }
        }
        return try await store(
            body: .stream(chunks, length: .known(Int64(size))), sha256: sha256, patient: patient, contentType: contentType, document: document)
    }

    /// Stores `body`, whose SHA-256 is `sha256`; `document` says what it is.
    public func store(
        body: HTTPClientRequest.Body, sha256: Bytes32, patient: Address, contentType: String, document: DocumentMetadata? = nil
    ) async throws -> StoreResponse {
        var request = HTTPClientRequest(url: baseURL + "/v1/records")
        request.method = .POST
        request.headers = try signedHeaders { nonce, issuedAt in
            SignedRequest.store(
                patient: patient, contentType: contentType, contentSHA256: sha256, document: document?.jsonText ?? "", nonce: nonce,
                issuedAt: issuedAt, domain: domain)
        }
        if let document { request.headers.add(name: SignedRequest.Header.document, value: document.headerValue) }
        request.headers.add(name: "Content-Type", value: contentType)
        request.headers.add(name: SignedRequest.Header.patient, value: patient.checksummed)
        request.headers.add(name: SignedRequest.Header.contentSHA256, value: sha256.hex)
        request.body = body
        let response = try await httpClient.execute(request, timeout: .minutes(60))
        let data = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created else { throw GatewayClientError(response.status, data) }
        return try JSONDecoder().decode(StoreResponse.self, from: data)
    }

    /// Sends a signed fetch; the caller streams the body of a 200/206 answer.
    ///
    /// With `justification`, `token` is a declared emergency's id (break-glass) and the text
    /// travels percent-encoded; its SHA-256 must be the one declared on-chain.
    public func fetch(
        token: Bytes32, encryptedAddress: String, purpose: PurposeOfUse, justification: String? = nil, range: String? = nil
    ) async throws -> HTTPClientResponse {
        let request = try fetchRequest(token: token, encryptedAddress: encryptedAddress, purpose: purpose, justification: justification, range: range)
        return try await httpClient.execute(request, timeout: .minutes(60))
    }

    /// A signed fetch, not yet sent (its nonce and time are fixed now): for load generators that
    /// sign ahead of sending.
    public func fetchRequest(
        token: Bytes32, encryptedAddress: String, purpose: PurposeOfUse, justification: String? = nil, range: String? = nil
    ) throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + "/v1/access/" + encryptedAddress)
        request.headers = try signedHeaders { nonce, issuedAt in
            SignedRequest.fetch(
                token: token, encryptedAddress: encryptedAddress, purpose: purpose, nonce: nonce, issuedAt: issuedAt, domain: domain)
        }
        request.headers.add(name: SignedRequest.Header.token, value: token.hex)
        request.headers.add(name: SignedRequest.Header.purpose, value: purpose.code)
        if let justification {
            let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
            request.headers.add(
                name: SignedRequest.Header.emergencyJustification,
                value: justification.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")
        }
        if let range { request.headers.add(name: "Range", value: range) }
        return request
    }

    /// Fetches and writes the record to `path` (`-` for standard output), hashing as it
    /// streams; returns the SHA-256 and the number of bytes written.
    public func fetch(
        token: Bytes32, encryptedAddress: String, purpose: PurposeOfUse, justification: String? = nil, range: String? = nil, to path: String,
        progress: Progress? = nil
    ) async throws -> (sha256: Bytes32, size: Int64, requestId: String?) {
        let response = try await fetch(token: token, encryptedAddress: encryptedAddress, purpose: purpose, justification: justification, range: range)
        guard response.status == .ok || response.status == .partialContent else {
            throw GatewayClientError(response.status, try await response.body.collect(upTo: 1 << 16))
        }
        let handle: FileHandle
        if path == "-" {
            handle = FileHandle.standardOutput
        } else {
            // An existing file (such as a private staging file) is written as it is; a new one
            // is created readable by its owner only.
            if !FileManager.default.fileExists(atPath: path) {
                let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
                guard descriptor >= 0 else {
                    throw GatewayClientError(status: 0, code: "cannot_write", message: "cannot create \(path)")
                }
                close(descriptor)
            }
            guard let file = FileHandle(forWritingAtPath: path) else {
                throw GatewayClientError(status: 0, code: "cannot_write", message: "cannot open \(path)")
            }
            try file.truncate(atOffset: 0)
            handle = file
        }
        defer { if path != "-" { try? handle.close() } }
        var hasher = SHA256()
        var size: Int64 = 0
        let total = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        for try await buffer in response.body {
            try buffer.withUnsafeReadableBytes { bytes in
                hasher.update(bufferPointer: bytes)
                try Self.writeAll(bytes, to: handle.fileDescriptor)
            }
            size += Int64(buffer.readableBytes)
            progress?(size, total)
        }
        return (try Bytes32(bytes: Array(hasher.finalize())), size, response.headers.first(name: SignedRequest.Header.requestId))
    }

    /// Writes `bytes` straight from the response's buffer (a `Data` of each part would copy
    /// the whole record once more).
    static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw GatewayClientError(status: 0, code: "cannot_write", message: "cannot write the record: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// A signed audit query, e.g. `/v1/audit/accesses?record=0x…`; returns the JSON body.
    /// One signed auditor's GET of `target` (path and query), answered as its JSON body.
    public func audit(_ target: String) async throws -> Data {
        try await signedGET(target) { nonce, issuedAt in SignedRequest.audit(query: target, nonce: nonce, issuedAt: issuedAt, domain: domain) }
    }

    /// A GET of `target` signed as `typedData`, answered with 200: its body.
    package func signedGET(
        _ target: String, extraHeaders: [String: String] = [:], _ typedData: (Bytes32, UInt64) -> TypedData
    ) async throws -> Data {
        var request = HTTPClientRequest(url: baseURL + target)
        request.headers = try signedHeaders(typedData)
        for (name, value) in extraHeaders { request.headers.add(name: name, value: value) }
        let response = try await httpClient.execute(request, timeout: .minutes(5))
        let data = try await response.body.collect(upTo: 256 << 20)
        guard response.status == .ok else { throw GatewayClientError(response.status, data) }
        return Data(buffer: data)
    }
}

extension GatewayClient {
    /// A patient's signed request for the history of their records held by this gateway
    /// (`patient` nil: the signer's own); an auditor may ask for any patient.
    /// One page of a patient's history (the first, or the one after `after`, a `next` cursor).
    public func history(of patient: Address? = nil, after: String? = nil, limit: Int? = nil) async throws -> (history: PatientHistory, body: Data) {
        let patient = patient ?? key.address
        var query = [String]()
        if let after { query.append("after=\(after)") }
        if let limit { query.append("limit=\(limit)") }
        let target = "/v1/patients/\(patient.checksummed)/accesses" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let body = try await signedGET(target) { nonce, issuedAt in
            SignedRequest.patient(patient, query: target, nonce: nonce, issuedAt: issuedAt, domain: domain)
        }
        return (try JSONDecoder().decode(PatientHistory.self, from: body), body)
    }
}

/// A refusal from the gateway, with the code and message of its JSON error body.
public struct GatewayClientError: Error, CustomStringConvertible {
    public let status: Int
    public let code: String
    public let message: String

    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    init(_ status: HTTPResponseStatus, _ body: ByteBuffer) {
        struct Body: Decodable { struct Inner: Decodable { let code: String; let message: String }; let error: Inner }
        if let parsed = try? JSONDecoder().decode(Body.self, from: body) {
            self.init(status: Int(status.code), code: parsed.error.code, message: parsed.error.message)
        } else if let outcome = try? JSONDecoder().decode(FHIROperationOutcome.self, from: body), let issue = outcome.issue.first {
            // A FHIR route's refusal: the gateway's code is the issue's details coding.
            self.init(
                status: Int(status.code), code: issue.details?.coding?.first?.code ?? issue.code,
                message: issue.details?.text ?? issue.diagnostics ?? issue.code)
        } else {
            self.init(status: Int(status.code), code: "http_\(status.code)", message: String(buffer: body).prefix(200).description)
        }
    }

    public var description: String { "HTTP \(status) \(code): \(message)" }
}

/// A file read in 1 MiB pieces, as an `AsyncSequence` for streaming uploads.
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    public let path: String
    public var chunkSize = 1 << 20
    /// Told the bytes read so far after each piece.
    public var progress: (@Sendable (Int64) -> Void)?

    public init(path: String) {
        self.path = path
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(handle: FileHandle(forReadingAtPath: path), chunkSize: chunkSize, progress: progress)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let handle: FileHandle?
        let chunkSize: Int
        let progress: (@Sendable (Int64) -> Void)?
        var read: Int64 = 0

        public mutating func next() async throws -> ByteBuffer? {
            guard let handle else { throw GatewayClientError(status: 0, code: "cannot_read", message: "cannot open the file") }
            guard let data = try handle.read(upToCount: chunkSize), !data.isEmpty else {
                try? handle.close()
                return nil
            }
            read += Int64(data.count)
            progress?(read)
            return ByteBuffer(data: data)
        }
    }

    /// SHA-256 of a file, read in pieces.
    public static func sha256(of path: String) throws -> Bytes32 {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw GatewayClientError(status: 0, code: "cannot_read", message: "cannot open \(path)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
            hasher.update(data: data)
        }
        return try Bytes32(bytes: Array(hasher.finalize()))
    }
}

extension GatewayClient {
    /// Every entry of the access log matching `query` (`record=…&staff=…`, without `after`),
    /// page after page, in time order.
    public func auditEntries(query: [String] = [], limit: Int = 1000) async throws -> [AuditEntry] {
        var entries = [AuditEntry]()
        var after: String?
        repeat {
            let page = query + ["limit=\(limit)"] + (after.map { ["after=\($0)"] } ?? [])
            let report = try JSONDecoder().decode(AuditReport.self, from: try await audit("/v1/audit/accesses?" + page.joined(separator: "&")))
            entries += report.entries
            after = report.next
        } while after != nil
        return entries
    }

    /// Every page of a patient's history.
    public func fullHistory(of patient: Address? = nil) async throws -> [PatientHistory.Access] {
        var accesses = [PatientHistory.Access]()
        var after: String?
        repeat {
            let (page, _) = try await history(of: patient, after: after)
            accesses += page.accesses
            after = page.next
        } while after != nil
        return accesses
    }
}
