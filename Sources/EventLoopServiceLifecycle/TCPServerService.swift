import EventLoop
import ServiceLifecycle

/// A TCP (or Unix stream) server as a swift-service-lifecycle `Service`: `run()` serves the
/// listener with `Listener.serve(drainTimeout:shutdown:_:)`.
///
/// A graceful shutdown of the service stops accepting at once (new clients are refused),
/// lets the open connections finish within `drainTimeout`, then cancels and closes those
/// left; `run()` returns when every handler has returned and the listener is closed.
/// Cancellation stops at once. Each handler runs in a child task on its connection's reactor.
/// Thread safety: a `Sendable` value over the thread-safe listener; call `run()` once.
public struct TCPServerService: Service {
    /// The listener served (closed when `run()` returns).
    public let listener: Listener
    /// How long open connections may finish after a graceful shutdown.
    public let drainTimeout: Duration
    private let handler: @Sendable (TCPConn) async -> Void

    /// A service serving each connection of `listener` with `handler` (the connection is
    /// closed when `handler` returns).
    public init(listener: Listener, drainTimeout: Duration, handler: @escaping @Sendable (TCPConn) async -> Void) {
        self.listener = listener
        self.drainTimeout = drainTimeout
        self.handler = handler
    }

    /// Serves until a graceful shutdown has drained or the task is cancelled. Throws
    /// `NetError` when accepting failed for another reason than the listener closing.
    public func run() async throws {
        try await withLibraryGracefulShutdown { shutdown in
            try await listener.serve(drainTimeout: drainTimeout, shutdown: shutdown, handler)
        }
    }
}

/// Runs `body` with a `GracefulShutdown` that is requested when the surrounding
/// service is told to shut down gracefully (swift-service-lifecycle's
/// `withGracefulShutdownHandler`): the bridge for a service of your own that serves with
/// `Listener.serve(drainTimeout:shutdown:_:)`. Returns what `body` returns and rethrows what
/// it throws. `body` runs in the calling task; the shutdown is requested on the thread that
/// triggers the service group's graceful shutdown, at most once, and not after `body` returned.
public func withLibraryGracefulShutdown<T>(_ body: (GracefulShutdown) async throws -> T) async rethrows -> T {
    let shutdown = GracefulShutdown()
    return try await withGracefulShutdownHandler {
        try await body(shutdown)
    } onGracefulShutdown: {
        shutdown.request()
    }
}
