import Foundation
import MDRSProtocol
import Testing

/// `docs/openapi.json` describes exactly the routes the gateway registers and exactly the error
/// codes it can answer with.
@Suite("OpenAPI document")
struct OpenAPITests {
    static func document() throws -> [String: Any] {
        let url = TestEnvironment.repositoryRoot.appendingPathComponent("docs/openapi.json")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test("documents every route and no other")
    func routes() throws {
        let document = try Self.document()
        #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let methods = Set(["get", "post", "put", "patch", "delete", "head", "options"])
        var documented = Set<String>()
        for (path, item) in paths {
            for key in item.keys where methods.contains(key) {
                documented.insert("\(key.uppercased()) \(path)")
            }
        }
        let served = Set(Endpoint.allCases.map { "\($0.method.rawValue) \($0.openAPIPath)" })
        #expect(documented == served, "documented but not served: \(documented.subtracting(served)); served but not documented: \(served.subtracting(documented))")
    }

    @Test("documents every error code and no other")
    func errorCodes() throws {
        let document = try Self.document()
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let error = try #require(schemas["Error"] as? [String: Any])
        let inner = try #require(((error["properties"] as? [String: Any])?["error"] as? [String: Any]))
        let code = try #require(((inner["properties"] as? [String: Any])?["code"] as? [String: Any]))
        let codes = Set(try #require(code["enum"] as? [String]))
        #expect(codes == Set(APIError.Code.allCases.map(\.rawValue)))
    }
}
