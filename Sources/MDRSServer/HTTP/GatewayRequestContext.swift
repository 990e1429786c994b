import Hummingbird
import Logging
import NIOCore

/// The request context of the gateway's routes: Hummingbird's core context plus the client's
/// address, for the per-client rate limit.
public struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
