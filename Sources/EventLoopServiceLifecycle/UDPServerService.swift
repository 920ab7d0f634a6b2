import EventLoop
import ServiceLifecycle

/// A UDP (or Unix datagram) listener as a swift-service-lifecycle `Service`: `run()` serves
/// each of its sockets with `handler` (`UDPListener.serve(_:)`, one child task per
/// socket on its reactor).
///
/// Datagrams have no connection to drain: a graceful shutdown or cancellation closes the
/// sockets at once (pending reads throw `.closed`, so a handler that loops reading returns),
/// and `run()` returns once every handler has returned.
/// Thread safety: a `Sendable` value over the thread-safe listener; call `run()` once.
public struct UDPServerService: Service {
    /// The listener served (closed when `run()` returns).
    public let listener: UDPListener
    private let handler: @Sendable (UDPConn) async -> Void

    /// A service serving each socket of `listener` with `handler` (the socket is closed when
    /// `handler` returns). `handler` should return when a read throws `.closed`.
    public init(listener: UDPListener, handler: @escaping @Sendable (UDPConn) async -> Void) {
        self.listener = listener
        self.handler = handler
    }

    /// Serves until a graceful shutdown or cancellation closes the sockets. Never throws.
    public func run() async {
        await withTaskCancellationOrGracefulShutdownHandler {
            await listener.serve(handler)
        } onCancelOrGracefulShutdown: { [listener] in
            listener.close()
        }
        listener.close()
    }
}
