import EthereumCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import MDRSChain
import NIOCore
import Testing

/// A hospital's portal may read another hospital's gateway only if that hospital registered its
/// gateway on-chain: CORS and the portal's Content-Security-Policy follow the chain.
@Suite("Consortium origins")
struct ConsortiumOriginsTests {
    @Test("CORS and the portal's connect-src allow the gateways registered on-chain, for the portal's routes, and no other origin", .timeLimit(.minutes(6)))
    func originsFollowTheChain() async throws {
        try await LiveGateway.run { gateway in
            let d = gateway.deployment
            let other = try await gateway.secondHospital()
            let county = "https://county-general.example"
            let evil = "https://evil.example"
            func get(_ uri: String, origin: String, method: HTTPRequest.Method = .get) async throws -> TestResponse {
                var headers = HTTPFields()
                headers[.origin] = origin
                if method == .options {
                    headers[.accessControlRequestMethod] = "GET"
                    headers[.accessControlRequestHeaders] = "mdrs-signature, mdrs-nonce"
                }
                return try await gateway.client.execute(uri: uri, method: method, headers: headers, body: nil)
            }
            // Not registered yet: no CORS for County General's origin.
            #expect(try await get("/v1/info", origin: county).headers[.accessControlAllowOrigin] == nil)

            _ = try await d.send(other.hospital, MedicalAccessContract.setGateway(county + "/"))
            try await eventually("the registered gateway's origin is allowed", timeout: .seconds(40)) {
                try await get("/v1/info", origin: county).headers[.accessControlAllowOrigin] == county
            }
            let staff = try await get("/v1/staff", origin: county)
            #expect(staff.headers[.accessControlAllowOrigin] == county && staff.headers[.vary] == "Origin")
            let preflight = try await get("/v1/access/AAAA", origin: county, method: .options)
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("MDRS-Signature") == true)
            #expect(try await get("/v1/patients/\(d.patient.address.checksummed)/accesses", origin: county, method: .options).status == .noContent)

            // Another origin: nothing allowed, its preflight not answered.
            #expect(try await get("/v1/info", origin: evil).headers[.accessControlAllowOrigin] == nil)
            let refused = try await get("/v1/access/AAAA", origin: evil, method: .options)
            #expect(refused.status != .noContent && refused.headers[.accessControlAllowOrigin] == nil)
            // The auditors' routes are not for other sites' pages, whoever they are.
            #expect(try await get("/v1/audit/accesses", origin: county).headers[.accessControlAllowOrigin] == nil)

            // The portal may contact exactly this origin and the registered gateways.
            let page = try await gateway.client.execute(uri: "/", method: .get, headers: [:], body: nil)
            let csp = try #require(page.headers[.contentSecurityPolicy])
            #expect(csp.contains("connect-src 'self' \(county)"), "\(csp)")
            #expect(!csp.contains(evil))
        }
    }
}
