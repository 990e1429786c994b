import AsyncHTTPClient
import EthereumCore
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization

/// A JSON-RPC 2.0 client over HTTP, on a shared AsyncHTTPClient.
///
/// The client does not own the `HTTPClient`; whoever created it shuts it down.
public final class JSONRPCClient: Sendable {
    /// Where and how to call.
    public struct Configuration: Sendable {
        public var url: String
        /// The deadline for one HTTP exchange.
        public var timeout: TimeAmount
        /// The largest response body accepted (`eth_getLogs` answers can be large).
        public var maximumResponseBytes: Int
        /// Extra request headers, e.g. `Authorization: Bearer …` for a node that requires
        /// authentication (Besu's `--rpc-http-authentication-*`, a proxy in front of geth).
        public var headers: [(name: String, value: String)]
        /// Told the method of every request sent (`batch` for a batch), before it is sent: what
        /// a gateway counts to know every call it makes of its nodes, its log writer's included.
        public var onRequest: (@Sendable (String) -> Void)?

        public init(
            url: String, timeout: TimeAmount = .seconds(10), maximumResponseBytes: Int = 64 << 20,
            headers: [(name: String, value: String)] = [], onRequest: (@Sendable (String) -> Void)? = nil
        ) {
            self.url = url
            self.timeout = timeout
            self.maximumResponseBytes = maximumResponseBytes
            self.headers = headers
            self.onRequest = onRequest
        }
    }

    public let configuration: Configuration
    private let httpClient: HTTPClient
    private let logger: Logger
    private let nextID = Atomic<Int>(1)

    public init(configuration: Configuration, httpClient: HTTPClient, logger: Logger = Logger(label: "jsonrpc")) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
    }

    /// Calls `method` and returns its `result`, or throws the node's error.
    public func call(_ method: String, _ params: [JSONValue] = []) async throws -> JSONValue {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let body = try Self.encoder.encode(Request(id: id, method: method, params: params))
        configuration.onRequest?(method)
        let data = try await post(body, method: method)
        let response: Response
        do {
            response = try Self.decoder.decode(Response.self, from: data)
        } catch {
            throw JSONRPCError(.invalidResponse, method: method, message: "not a JSON-RPC response: \(error)")
        }
        return try response.unwrap(method: method)
    }

    /// Sends several calls in one JSON-RPC batch; each answer is a result or that call's error.
    public func batch(_ calls: [(method: String, params: [JSONValue])]) async throws -> [Result<JSONValue, JSONRPCError>] {
        guard !calls.isEmpty else { return [] }
        let firstID = nextID.wrappingAdd(calls.count, ordering: .relaxed).oldValue
        let requests = calls.enumerated().map { Request(id: firstID + $0.offset, method: $0.element.method, params: $0.element.params) }
        let label = "batch(\(calls.map(\.method).joined(separator: ",")))"
        configuration.onRequest?("batch")
        let data = try await post(try Self.encoder.encode(requests), method: label)
        let responses: [Response]
        do {
            responses = try Self.decoder.decode([Response].self, from: data)
        } catch {
            if let single = try? Self.decoder.decode(Response.self, from: data), let error = single.error {
                throw JSONRPCError(.server, method: label, message: error.message, rpcCode: error.code, data: error.data)
            }
            throw JSONRPCError(.invalidResponse, method: label, message: "not a JSON-RPC batch response: \(error)")
        }
        let byID = Dictionary(responses.compactMap { response in response.id.map { ($0, response) } }, uniquingKeysWith: { first, _ in first })
        return requests.map { request in
            guard let response = byID[request.id] else {
                return .failure(JSONRPCError(.invalidResponse, method: request.method, message: "no answer in the batch"))
            }
            return Result { try response.unwrap(method: request.method) }.mapError {
                $0 as? JSONRPCError ?? JSONRPCError(.invalidResponse, method: request.method, message: "\($0)")
            }
        }
    }

    /// Posts once, and once more if a pooled keep-alive connection turned out to be closed by
    /// the node (nodes close idle connections; every JSON-RPC call, `eth_sendRawTransaction`
    /// included, is safe to repeat).
    private func post(_ body: Data, method: String) async throws -> Data {
        var request = HTTPClientRequest(url: configuration.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for header in configuration.headers { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(data: body))
        do {
            let response: HTTPClientResponse
            do {
                response = try await httpClient.execute(request, timeout: configuration.timeout, logger: logger)
            } catch let error as HTTPClientError where error == .remoteConnectionClosed {
                logger.debug("the node closed a pooled connection; retrying once", metadata: ["method": "\(method)"])
                response = try await httpClient.execute(request, timeout: configuration.timeout, logger: logger)
            }
            let buffer = try await response.body.collect(upTo: configuration.maximumResponseBytes)
            guard response.status == .ok else {
                throw JSONRPCError(
                    .httpStatus, method: method,
                    message: "HTTP \(response.status.code) from the node: \(String(buffer: buffer).prefix(200))")
            }
            return Data(buffer: buffer)
        } catch let error as JSONRPCError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .connectTimeout || error == .readTimeout {
            throw JSONRPCError(.timeout, method: method, message: "no answer within \(configuration.timeout)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw JSONRPCError(.transport, method: method, message: "cannot reach \(configuration.url): \(error)")
        }
    }

    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    private struct Request: Encodable {
        let jsonrpc = "2.0"
        let id: Int
        let method: String
        let params: [JSONValue]
    }

    private struct Response: Decodable {
        struct ErrorObject: Decodable {
            let code: Int
            let message: String
            let data: JSONValue?
        }

        let id: Int?
        let result: JSONValue?
        let error: ErrorObject?

        func unwrap(method: String) throws -> JSONValue {
            if let error {
                throw JSONRPCError(.server, method: method, message: error.message, rpcCode: error.code, data: error.data)
            }
            return result ?? .null
        }
    }
}
