import AsyncHTTPClient
import EthereumCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import MDRSClient
import MDRSProtocol
@testable import MDRSServer
import NIOCore
import PostgresNIO
import Testing

/// The HTTP surface outside the happy path: bodies cut short, headers of released records and
/// audit answers, methods and paths no route serves, ranges at the edges, the operations listener.
@Suite("Gateway HTTP surface")
struct GatewayHTTPSurfaceTests {
    @Test("a store whose body ends before its Content-Length is the client's error, and nothing is kept", .timeLimit(.minutes(6)))
    func truncatedStore() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let body = Array(repeating: UInt8(0x42), count: 1000)
            let nonce = Bytes32.random(), issuedAt = UInt64(Date().timeIntervalSince1970)
            let typedData = SignedRequest.store(
                patient: d.patient.address, contentType: "text/plain", contentSHA256: Bytes32.sha256(body), nonce: nonce,
                issuedAt: issuedAt, domain: SigningDomain(chainId: d.chainId, contract: d.contract.address, custodian: d.hospital.address))
            let head = [
                "POST /v1/records HTTP/1.1", "Host: 127.0.0.1", "Content-Type: text/plain", "Content-Length: \(body.count)",
                "\(SignedRequest.Header.patient): \(d.patient.address.checksummed)",
                "\(SignedRequest.Header.contentSHA256): \(Bytes32.sha256(body).hex)",
                "\(SignedRequest.Header.nonce): \(nonce.hex)", "\(SignedRequest.Header.issuedAt): \(issuedAt)",
                "\(SignedRequest.Header.signature): \(try typedData.sign(with: d.clerk).hex)",
            ].joined(separator: "\r\n") + "\r\n\r\n"
            let port = try #require(Int(gateway.baseURL.split(separator: ":").last ?? ""))
            // Half the body, then the client closes its side.
            let answer = try RawHTTP.exchange(port: port, Array(head.utf8) + Array(body.prefix(500)), closeWrite: true)
            print("truncated store answered: \(answer.split(separator: "\r\n").first ?? "(connection closed)")")
            #expect(!answer.hasPrefix("HTTP/1.1 500"), "\(answer)")
            if !answer.isEmpty {
                #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
                #expect(answer.contains("\"code\":\"bad_request\""), "\(answer)")
            }
            try await eventually("the interrupted upload is gone") { try await gateway.count("records") == 0 }
            #expect(try await gateway.count("record_anchors") == 0)
            #expect(try await gateway.metric("mdrs_requests_total", "route=\"store\",outcome=\"internal_error\"") == 0)
        }
    }

    @Test("released records cannot be sniffed or rendered here; audit answers are not cached", .timeLimit(.minutes(6)))
    func responseHeaders() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let stored = try await gateway.store(Array("<script>alert(1)</script>".utf8), contentType: "text/html")
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)
            let builder = FetchRequestBuilder(deployment: d, key: d.doctor, token: token, encryptedAddress: stored.encryptedAddress)
            let response = try await GatewayRefusalTests.send(builder, via: gateway)
            #expect(response.status == .ok)
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
            #expect(response.headers[.contentDisposition]?.hasPrefix("attachment") == true)
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(response.headers[.contentSecurityPolicy] == "default-src 'none'; frame-ancestors 'self'")

            let auditor = try await gateway.client(d.auditor)
            var request = HTTPClientRequest(url: gateway.baseURL + "/v1/audit/accesses")
            request.headers = try auditor.signedHeaders { nonce, issuedAt in
                SignedRequest.audit(
                    query: "/v1/audit/accesses", nonce: nonce, issuedAt: issuedAt, domain: SigningDomain(chainId: d.chainId, contract: d.contract.address, custodian: d.hospital.address))
            }
            let audit = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(audit.status == .ok)
            #expect(audit.headers.first(name: "Cache-Control") == "no-store")
            #expect(audit.headers.first(name: "X-Content-Type-Options") == "nosniff")
            _ = try await audit.body.collect(upTo: 1 << 20)
        }
    }

    @Test("other methods and unknown paths answer 405 and 404 with the JSON error body", .timeLimit(.minutes(6)))
    func methodsAndPaths() async throws {
        try await LiveGateway.run { gateway in
            for method in [HTTPRequest.Method.head, .post, .put, .delete] {
                let response = try await gateway.client.execute(uri: "/v1/access/abc", method: method, headers: [:], body: nil)
                #expect(response.status == .methodNotAllowed, "\(method)")
                #expect(response.headers[.allow] == "GET", "\(method)")
                if method != .head {
                    #expect(String(buffer: response.body).contains("\"code\":\"method_not_allowed\""), "\(method)")
                    #expect(response.headers[.contentType] == "application/json")
                }
            }
            let get = try await gateway.client.execute(uri: "/v1/records", method: .get, headers: [:], body: nil)
            #expect(get.status == .methodNotAllowed && get.headers[.allow] == "POST")
            let unknown = try await gateway.client.execute(uri: "/v1/nothing/here", method: .get, headers: [:], body: nil)
            #expect(unknown.status == .notFound)
            #expect(String(buffer: unknown.body).contains("\"code\":\"not_found\""))
        }
    }

    @Test("unknown, repeated or malformed audit query parameters are refused, not ignored", .timeLimit(.minutes(6)))
    func auditParameters() async throws {
        try await LiveGateway.run { gateway in
            let auditor = try await gateway.client(gateway.deployment.auditor)
            for target in ["/v1/audit/accesses?recrd=0x00", "/v1/audit/accesses?staff=\(gateway.deployment.doctor.address.checksummed)&limt=5",
                "/v1/audit/accesses?limit=0", "/v1/audit/accesses?limit=1001", "/v1/audit/accesses?after=12-zz", "/v1/audit/check?all=1",
                "/v1/audit/check?restart=yes",
                // The documented cursor is lower-case hex; a repeated filter is ambiguous.
                "/v1/audit/accesses?after=12-" + String(repeating: "AB", count: 32), "/v1/audit/accesses?after=-" + String(repeating: "ab", count: 32),
                "/v1/audit/accesses?outcome=1&outcome=7", "/v1/audit/accesses?limit=5&limit=6", "/v1/audit/check?restart=true&restart=false"] {
                do {
                    _ = try await auditor.audit(target)
                    Issue.record("\(target) was answered")
                } catch let error as GatewayClientError {
                    #expect(error.status == 400 && error.code == "bad_request", "\(target): \(error)")
                }
            }
            _ = try await auditor.audit("/v1/audit/accesses?staff=\(gateway.deployment.doctor.address.checksummed)")
        }
    }

    @Test("a range past the end of the record is cut at the end", .timeLimit(.minutes(6)))
    func hugeRange() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let bytes = Array("0123456789".utf8)
            let stored = try await gateway.store(bytes, contentType: "text/plain")
            let token = try await d.grant(try Bytes32(stored.recordId), to: d.doctor)
            let doctor = try await gateway.client(d.doctor)
            for range in ["bytes=0-99999999999999999999999999999", "bytes=2-18446744073709551616", "bytes= 2-"] {
                let response = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment, range: range)
                #expect(response.status == .partialContent, "\(range)")
                let start = range.contains("2-") ? 2 : 0
                #expect(response.headers.first(name: "Content-Range") == "bytes \(start)-9/10", "\(range)")
                #expect(Array(try await response.body.collect(upTo: 1 << 16).readableBytesView) == Array(bytes[start...]))
            }
            let ignored = try await doctor.fetch(token: token, encryptedAddress: stored.encryptedAddress, purpose: .treatment, range: "bytes=2 -5")
            #expect(ignored.status == .ok)
            _ = try await ignored.body.collect(upTo: 1 << 16)
        }
    }

    @Test("with an operations listener, metrics and readiness details leave the public one", .timeLimit(.minutes(6)))
    func operationsListener() async throws {
        let port = try freePort()
        try await LiveGateway.run(adjust: { $0.http.operationsPort = port }) { gateway in
            let metrics = try await gateway.client.execute(uri: "/metrics", method: .get, headers: [:], body: nil)
            #expect(metrics.status == .notFound)
            let ready = try await gateway.client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil)
            #expect(ready.status == .ok)
            #expect(String(buffer: ready.body) == "{\"ready\":true}")

            let ops = "http://127.0.0.1:\(port)"
            try await eventually("the operations listener answers") {
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: ops + "/health/ready"), timeout: .seconds(5))
                let body = String(buffer: try await response.body.collect(upTo: 1 << 16))
                return response.status == .ok && body.contains("\"chainHead\"")
            }
            #expect(try await gateway.metric("mdrs_requests_total", "route=\"store\",outcome=\"stored\"", via: ops) == 0)
            let scrape = try await HTTPClient.shared.execute(HTTPClientRequest(url: ops + "/metrics"), timeout: .seconds(5))
            #expect(scrape.status == .ok)
            #expect(String(buffer: try await scrape.body.collect(upTo: 1 << 20)).contains("mdrs_chain_head_block"))
        }
    }
}

/// One HTTP exchange over a plain socket, for what an HTTP client library will not send.
enum RawHTTP {
    /// Sends `bytes` to 127.0.0.1:`port`, optionally closes the sending side, and returns what
    /// the server answers until it closes (or 10 s pass).
    static func exchange(port: Int, _ bytes: [UInt8], closeWrite: Bool) throws -> String {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw CancellationError() }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw CancellationError() }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { break }
            sent += count
        }
        if closeWrite { shutdown(descriptor, Int32(SHUT_WR)) }
        var answer = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            answer += buffer[0..<count]
        }
        return String(decoding: answer, as: UTF8.self)
    }
}
