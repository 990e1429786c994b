import NIOCore

/// Holds a connection's close until the response bytes already queued on it have reached the
/// socket (or `maximumWait` passed), so that a reader slower than the gateway receives its
/// whole download.
///
/// Hummingbird closes a connection as soon as the last part of its response is queued when the
/// server shuts down (and NIO fails the writes still waiting for the socket), which cut the end
/// off downloads in flight across a SIGTERM. Placed after the HTTP codec, it sees every write
/// and the close that follows them.
final class FlushBeforeCloseHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = Any
    typealias OutboundOut = Any

    let maximumWait: TimeAmount
    private var outstanding = 0
    private var heldClose: (mode: CloseMode, promise: EventLoopPromise<Void>?)?
    private var deadline: Scheduled<Void>?

    init(maximumWait: TimeAmount = .seconds(60)) {
        self.maximumWait = maximumWait
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        outstanding += 1
        let written = promise ?? context.eventLoop.makePromise()
        let contextBox = NIOLoopBound(context, eventLoop: context.eventLoop)
        written.futureResult.assumeIsolated().whenComplete { _ in
            self.outstanding -= 1
            if self.outstanding == 0 { self.releaseClose(contextBox.value) }
        }
        context.write(data, promise: written)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, outstanding > 0, heldClose == nil else {
            context.close(mode: mode, promise: promise)
            return
        }
        heldClose = (mode, promise)
        // The bytes may be waiting for the socket to accept them: push them out.
        context.flush()
        let contextBox = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: maximumWait) {
            self.releaseClose(contextBox.value)
        }
    }

    private func releaseClose(_ context: ChannelHandlerContext) {
        guard let held = heldClose else { return }
        heldClose = nil
        deadline?.cancel()
        deadline = nil
        context.close(mode: held.mode, promise: held.promise)
    }
}
