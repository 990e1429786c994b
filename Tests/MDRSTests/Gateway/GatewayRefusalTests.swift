import BigInt
import EthereumCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import MDRSChain
import MDRSClient
import MDRSCore
import MDRSPostgres
import MDRSProtocol
import MDRSServer
import NIOCore
import Testing

/// Every refusal of a fetch: its status and code, nothing streamed, and a row in the access log.
@Suite("Gateway refusals")
struct GatewayRefusalTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let status: HTTPResponse.Status
        let code: String
        /// Where the refusal is logged. Requests whose signer is not registered staff (no
        /// signature, a signature over other fields, which recovers a random address) are only
        /// counted; a registered signer's stale or replayed requests are logged here only; fresh
        /// ones on-chain too.
        let logged: Logged
        let build: @Sendable (Fixture) async throws -> FetchRequestBuilder

        var testDescription: String { name }
    }

    enum Logged: Sendable { case counted, local, chain }

    /// A stored record with a grant for the doctor, and a second record.
    struct Fixture: Sendable {
        let gateway: LiveGateway
        let stored: StoreResponse
        let other: StoreResponse
        let token: Bytes32

        var d: Deployment { gateway.deployment }

        func builder(_ key: PrivateKey? = nil, token: Bytes32? = nil, address: String? = nil) -> FetchRequestBuilder {
            FetchRequestBuilder(deployment: d, key: key ?? d.doctor, token: token ?? self.token, encryptedAddress: address ?? stored.encryptedAddress)
        }
    }

    static let cases: [Case] = [
        Case(name: "no signature", status: .unauthorized, code: "signature_missing", logged: .counted) { f in
            var b = f.builder(); b.omitSignature = true; return b
        },
        Case(name: "a malformed signature", status: .unauthorized, code: "signature_invalid", logged: .counted) { f in
            var b = f.builder(); b.signatureOverride = "0x1234"; return b
        },
        Case(name: "a signature by someone else than the grantee", status: .forbidden, code: "not_grantee", logged: .chain) { f in
            f.builder(f.d.doctor2)
        },
        Case(name: "a signature by a stranger", status: .forbidden, code: "staff_not_registered", logged: .counted) { f in
            f.builder(PrivateKey.random())
        },
        Case(name: "the grantee's signature over other fields", status: .forbidden, code: "staff_not_registered", logged: .counted) { f in
            var other = f.builder()
            other.nonce = Bytes32.random()
            var b = f.builder()
            b.signatureOverride = try other.headers()[HTTPField.Name(SignedRequest.Header.signature)!]
            return b
        },
        Case(name: "a request signed for another custodian", status: .forbidden, code: "staff_not_registered", logged: .counted) { f in
            var b = f.builder(); b.custodian = f.d.doctor2.address; return b
        },
        Case(name: "a request signed for another chain", status: .forbidden, code: "staff_not_registered", logged: .counted) { f in
            var b = f.builder(); b.chainId = 1; return b
        },
        Case(name: "a request signed for another contract", status: .forbidden, code: "staff_not_registered", logged: .counted) { f in
            var b = f.builder(); b.contract = f.d.admin.address; return b
        },
        Case(name: "a stale time", status: .unauthorized, code: "request_stale", logged: .local) { f in
            var b = f.builder(); b.issuedAt -= 3600; return b
        },
        Case(name: "a time in the future", status: .unauthorized, code: "request_stale", logged: .local) { f in
            var b = f.builder(); b.issuedAt += 3600; return b
        },
        Case(name: "the largest time there is", status: .unauthorized, code: "request_stale", logged: .local) { f in
            var b = f.builder(); b.issuedAt = .max; return b
        },
        Case(name: "an unknown token", status: .notFound, code: "grant_not_found", logged: .chain) { f in
            f.builder(token: Bytes32.random())
        },
        Case(name: "the address of another record with a valid token for this one", status: .forbidden, code: "address_mismatch", logged: .chain) { f in
            f.builder(address: f.other.encryptedAddress)
        },
        Case(name: "a tampered address", status: .unprocessableContent, code: "address_invalid", logged: .chain) { f in
            var chars = Array(f.stored.encryptedAddress)
            chars[40] = chars[40] == "A" ? "B" : "A"
            return f.builder(address: String(chars))
        },
        Case(name: "a non-canonical spelling of the address (spare bits set)", status: .unprocessableContent, code: "address_invalid", logged: .chain) { f in
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
            let text = f.stored.encryptedAddress
            let last = try #require(alphabet.firstIndex(of: text.last!))
            return f.builder(address: String(text.dropLast()) + String(alphabet[last ^ 1]))
        },
        Case(name: "an address that is not base64url", status: .unprocessableContent, code: "address_invalid", logged: .chain) { f in
            f.builder(address: "not*an*address")
        },
        Case(name: "an unknown purpose", status: .badRequest, code: "bad_request", logged: .counted) { f in
            f.builder()  // the purpose header is replaced below
        },
    ]

    static func makeFixture(_ gateway: LiveGateway) async throws -> Fixture {
        let stored = try await gateway.store(Array("a small record".utf8), contentType: "text/plain")
        let other = try await gateway.store(Array("another record".utf8), contentType: "text/plain")
        let token = try await gateway.deployment.grant(try Bytes32(stored.recordId), to: gateway.deployment.doctor)
        return Fixture(gateway: gateway, stored: stored, other: other, token: token)
    }

    static func send(_ builder: FetchRequestBuilder, via gateway: LiveGateway, purpose: String? = nil) async throws -> TestResponse {
        var builder = builder
        if let purpose { builder.purposeOverride = purpose }
        return try await gateway.client.execute(uri: builder.uri, method: .get, headers: try builder.headers(), body: nil)
    }

    static func expectRefusal(_ response: TestResponse, status: HTTPResponse.Status, code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
        #expect(String(buffer: response.body).contains("\"code\":\"\(code)\""), "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        #expect(response.headers[HTTPField.Name(SignedRequest.Header.recordSHA256)!] == nil, sourceLocation: sourceLocation)
    }

    @Test(
        "each malformed or unauthorised fetch is refused with its code, streams nothing, and is logged or counted",
        .timeLimit(.minutes(6)), arguments: [false, true])
    func refusals(asSignedURL: Bool) async throws {
        try await LiveGateway.run { gateway in
            let fixture = try await Self.makeFixture(gateway)
            for refusal in Self.cases {
                let before = try await gateway.accessRows().count
                var builder = try await refusal.build(fixture)
                builder.asSignedURL = asSignedURL
                let response = try await Self.send(builder, via: gateway, purpose: refusal.name == "an unknown purpose" ? "SPYING" : nil)
                Self.expectRefusal(response, status: refusal.status, code: refusal.code)
                let rows = try await gateway.accessRows()
                if refusal.logged == .counted {
                    #expect(rows.count == before, "\(refusal.name): a refusal of an unknown signer left a row")
                    #expect(response.headers[HTTPField.Name(SignedRequest.Header.requestId)!] == nil, "\(refusal.name)")
                } else {
                    #expect(rows.count == before + 1, "\(refusal.name): the refusal was not logged")
                    if let row = rows.last {
                        #expect(row.reason == refusal.code, "\(refusal.name)")
                        #expect((row.state != "local_only") == (refusal.logged == .chain), "\(refusal.name): state \(row.state)")
                    }
                }
            }
            // The valid request still works afterwards: nothing above consumed the grant.
            var valid = fixture.builder()
            valid.asSignedURL = asSignedURL
            let ok = try await Self.send(valid, via: gateway)
            #expect(ok.status == .ok)
            #expect(Array(ok.body.readableBytesView) == Array("a small record".utf8))

            // Signed refusals reach the chain as denials; the log stays consistent.
            try await eventually("refusals are logged on-chain") {
                try await gateway.accessRows().allSatisfy { $0.state == "confirmed" || $0.state == "local_only" }
            }
            let auditor = try await gateway.client(gateway.deployment.auditor)
            let check = try JSONDecoder().decode(ConsistencyReport.self, from: try await auditor.audit("/v1/audit/check"))
            #expect(check.consistent && check.onChainEntries == Self.cases.filter { $0.logged == .chain }.count + 1, "\(check)")
        }
    }

    @Test("a signed URL works once, and not when expired, altered in any part, or another's", .timeLimit(.minutes(6)))
    func signedURLs() async throws {
        try await LiveGateway.run { gateway in
            let fixture = try await Self.makeFixture(gateway)
            var builder = fixture.builder()
            builder.asSignedURL = true
            let url = builder.uri
            let first = try await gateway.client.execute(uri: url, method: .get, headers: [:], body: nil)
            #expect(first.status == .ok)
            #expect(Array(first.body.readableBytesView) == Array("a small record".utf8))
            #expect(first.headers[.contentDisposition]?.hasPrefix("attachment") == true)
            // Reused.
            Self.expectRefusal(try await gateway.client.execute(uri: url, method: .get, headers: [:], body: nil), status: .conflict, code: "nonce_reused")

            // Altered in any part: each field, and the path. A changed field recovers another
            // signer; a changed signature another signer or none.
            let fresh = { () -> FetchRequestBuilder in var b = fixture.builder(); b.asSignedURL = true; return b }
            let signed = try fresh().signedFields()
            for (index, field) in signed.enumerated() {
                let template = fresh()
                var values = try template.signedFields()
                // Re-sign with the fresh nonce, then alter one value.
                let original = values[index].value
                var altered = original
                switch field.query {
                case "token": altered = Bytes32.random().hex
                case "purpose": altered = "ETREAT"
                case "nonce": altered = Bytes32.random().hex
                case "issuedAt": altered = String((UInt64(original) ?? 0) - 1)
                default: altered = String(original.dropLast(2)) + (original.hasSuffix("1b") ? "1c" : "1b")
                }
                values[index].value = altered
                let target = template.path + "?" + values.map { "\($0.query)=\($0.value)" }.joined(separator: "&")
                let response = try await gateway.client.execute(uri: target, method: .get, headers: [:], body: nil)
                #expect([.forbidden, .unauthorized].contains(response.status), "\(field.query): \(String(buffer: response.body))")
                #expect(!String(buffer: response.body).contains("a small record"))
            }
            var otherPath = fresh()
            let query = otherPath.uri.split(separator: "?").last.map(String.init) ?? ""
            otherPath.encryptedAddress = fixture.other.encryptedAddress
            Self.expectRefusal(
                try await gateway.client.execute(uri: otherPath.path + "?" + query, method: .get, headers: [:], body: nil),
                status: .forbidden, code: "staff_not_registered")

            // A signed URL has a shorter window than signed headers (60 s against 300 s).
            var minutesOld = fresh()
            minutesOld.issuedAt -= 120
            Self.expectRefusal(try await gateway.client.execute(uri: minutesOld.uri, method: .get, headers: [:], body: nil), status: .unauthorized, code: "request_stale")
            var asHeaders = minutesOld
            asHeaders.asSignedURL = false
            asHeaders.nonce = Bytes32.random()
            #expect(try await Self.send(asHeaders, via: gateway).status == .ok, "two minutes old is fine in headers")
            // The URL's own signature in headers: it was made for a URL, and is good only as one
            // (checked as headers, it recovers some other key, no registered staff's).
            var urlInHeaders = fresh()
            urlInHeaders.issuedAt -= 61
            urlInHeaders.asSignedURL = false
            urlInHeaders.signAsLink = true
            Self.expectRefusal(try await Self.send(urlInHeaders, via: gateway), status: .forbidden, code: "staff_not_registered")
            // And a headers signature in a URL.
            var headersInURL = fresh()
            headersInURL.signAsLink = false
            Self.expectRefusal(
                try await gateway.client.execute(uri: headersInURL.uri, method: .get, headers: [:], body: nil), status: .forbidden,
                code: "staff_not_registered")

            // Expired: signed longer ago than the request window.
            var old = fresh()
            old.issuedAt -= 3600
            Self.expectRefusal(try await gateway.client.execute(uri: old.uri, method: .get, headers: [:], body: nil), status: .unauthorized, code: "request_stale")

            // Another signer's grant: doctor2 signs a URL with the doctor's token.
            var stolen = fixture.builder(fixture.d.doctor2)
            stolen.asSignedURL = true
            Self.expectRefusal(try await gateway.client.execute(uri: stolen.uri, method: .get, headers: [:], body: nil), status: .forbidden, code: "not_grantee")

            // One set of signed fields per request; nothing else in the query string.
            var both = fresh()
            let mixed = try await gateway.client.execute(uri: both.uri, method: .get, headers: try { both.asSignedURL = false; return try both.headers() }(), body: nil)
            Self.expectRefusal(mixed, status: .badRequest, code: "bad_request")
            Self.expectRefusal(
                try await gateway.client.execute(uri: fresh().uri + "&download=1", method: .get, headers: [:], body: nil),
                status: .badRequest, code: "bad_request")
        }
    }

    @Test("a replayed request is refused even with a valid signature", .timeLimit(.minutes(6)))
    func replay() async throws {
        try await LiveGateway.run { gateway in
            let fixture = try await Self.makeFixture(gateway)
            let builder = fixture.builder()
            #expect(try await Self.send(builder, via: gateway).status == .ok)
            for _ in 0..<3 {
                Self.expectRefusal(try await Self.send(builder, via: gateway), status: .conflict, code: "nonce_reused")
            }
            // Replays are logged here, never on-chain: whoever captured a request can resend it.
            let rows = try await gateway.accessRows()
            #expect(rows.filter { $0.reason == "nonce_reused" }.count == 3)
            #expect(rows.filter { $0.reason == "nonce_reused" }.allSatisfy { $0.state == "local_only" })
        }
    }

    @Test("revoked, expired, deregistered and erased are refused", .timeLimit(.minutes(6)))
    func grantStates() async throws {
        try await LiveGateway.run { gateway in
            let fixture = try await Self.makeFixture(gateway)
            let d = gateway.deployment
            let recordId = try Bytes32(fixture.stored.recordId)

            // Revoked.
            let revoked = try await d.grant(recordId, to: d.doctor)
            try await d.send(d.patient, MedicalAccessContract.revoke(revoked))
            try await eventually("the revocation is seen") {
                try await Self.send(fixture.builder(token: revoked), via: gateway).status == .forbidden
            }
            Self.expectRefusal(try await Self.send(fixture.builder(token: revoked), via: gateway), status: .forbidden, code: "grant_revoked")

            // Expired: the chain's clock passes the expiry.
            let expiring = try await d.grant(recordId, to: d.doctor, expiresIn: 20)
            #expect(try await Self.send(fixture.builder(token: expiring), via: gateway).status == .ok)
            try await DevChain.advanceTime(seconds: 60)
            try await eventually("the expiry is seen") {
                try await Self.send(fixture.builder(token: expiring), via: gateway).status == .forbidden
            }
            Self.expectRefusal(try await Self.send(fixture.builder(token: expiring), via: gateway), status: .forbidden, code: "grant_expired")

            // Erased: the record is shredded, the grant still stands.
            let other = try await d.grant(try Bytes32(fixture.other.recordId), to: d.doctor)
            try await RecordStore(client: gateway.postgres, keyring: MasterKeyring(current: try MasterKey(contentsOfFile: d.path("master.key"))), logger: TestEnvironment.logger)
                .shred(try Bytes32(fixture.other.recordId))
            Self.expectRefusal(
                try await Self.send(fixture.builder(token: other, address: fixture.other.encryptedAddress), via: gateway),
                status: .gone, code: "record_erased")

            // Deregistered staff: the grant stands on-chain but the gateway refuses.
            try await d.send(d.hospital, MedicalAccessContract.deregisterStaff(d.doctor.address))
            try await eventually("the deregistration is seen") {
                try await Self.send(fixture.builder(), via: gateway).status == .forbidden
            }
            Self.expectRefusal(try await Self.send(fixture.builder(), via: gateway), status: .forbidden, code: "staff_not_registered")
        }
    }

    @Test("store refusals: not this hospital's staff, wrong hash, too large; nothing is stored", .timeLimit(.minutes(6)))
    func storeRefusals() async throws {
        try await LiveGateway.run(adjust: { $0.storage.maximumRecordSize = 64 * 1024 }) { gateway in
            let d = gateway.deployment
            let body = Array(repeating: UInt8(7), count: 1000)
            // The patient is not staff.
            let patient = try await gateway.client(d.patient)
            await #expect(throws: GatewayClientError.self) {
                _ = try await patient.store(body: .bytes(ByteBuffer(bytes: body)), sha256: Bytes32.sha256(body), patient: d.patient.address, contentType: "text/plain")
            }
            let clerk = try await gateway.client(d.clerk)
            do {
                _ = try await clerk.store(body: .bytes(ByteBuffer(bytes: body)), sha256: Bytes32.random(), patient: d.patient.address, contentType: "text/plain")
                Issue.record("a body with the wrong hash was stored")
            } catch let error as GatewayClientError {
                #expect(error.code == "content_hash_mismatch" && error.status == 422)
            }
            // A content type that is not a media type (browsers would have to guess) is refused.
            for contentType in ["not a type", "text/", "application/pdf<script>", "/plain", "a/b/c"] {
                do {
                    _ = try await clerk.store(body: .bytes(ByteBuffer(bytes: body)), sha256: Bytes32.sha256(body), patient: d.patient.address, contentType: contentType)
                    Issue.record("content type \(contentType) was accepted")
                } catch let error as GatewayClientError {
                    #expect(error.code == "bad_request" && error.status == 400, "\(contentType): \(error)")
                }
            }
            let big = Array(repeating: UInt8(1), count: 65 * 1024)
            do {
                _ = try await clerk.store(body: .bytes(ByteBuffer(bytes: big)), sha256: Bytes32.sha256(big), patient: d.patient.address, contentType: "text/plain")
                Issue.record("a body over the limit was stored")
            } catch let error as GatewayClientError {
                #expect(error.code == "record_too_large" && error.status == 413)
            }
            let count = try await gateway.postgres.query("SELECT count(*) FROM records", logger: TestEnvironment.logger)
                .decode(Int64.self).first(where: { _ in true })
            #expect(count == 0)
        }
    }
}
