/// A request to shut down gracefully, shared by the servers it should stop: ``request()``
/// makes every ``Listener/serve(drainTimeout:shutdown:_:)`` watching it stop accepting and
/// drain its open connections (a signal handler, a lifecycle library or a test calls it).
///
/// It is the library's own trigger, so the core needs no lifecycle package; the
/// `EventLoopServiceLifecycle` product bridges swift-service-lifecycle's graceful shutdown to it.
///
/// Thread safety: every method may be called from any thread. ``request()`` runs the handlers
/// registered at that moment on the calling thread, once each, outside the lock.
public final class GracefulShutdown: Sendable {
    private struct State {
        var requested = false
        var nextID: UInt64 = 0
        var handlers: [UInt64: @Sendable () -> Void] = [:]
    }

    private let state = Locked(State())

    /// A trigger nobody has pulled yet.
    public init() {}

    /// True once ``request()`` has been called.
    public var isRequested: Bool { state.withLock { $0.requested } }

    /// Requests the shutdown: the handlers of every pending ``withRequestHandler(_:onRequest:)``
    /// run once, here. Idempotent: later calls do nothing.
    public func request() {
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.requested else { return [] }
            state.requested = true
            defer { state.handlers.removeAll() }
            return Array(state.handlers.values)
        }
        for handler in handlers { handler() }
    }

    /// Runs `operation`; if the shutdown is requested while it runs (or was before it began),
    /// `onRequest` runs once (on the requesting thread, or at once on this one). `onRequest`
    /// never runs after `operation` has returned.
    public func withRequestHandler<T, Failure: Error>(
        _ operation: () async throws(Failure) -> T,
        onRequest: @escaping @Sendable () -> Void
    ) async throws(Failure) -> T {
        let id = register(onRequest)
        defer { if let id { unregister(id) } }
        if id == nil { onRequest() }
        return try await operation()
    }

    /// Registers `handler`; nil (and the handler is not kept) when already requested.
    private func register(_ handler: @escaping @Sendable () -> Void) -> UInt64? {
        state.withLock { state -> UInt64? in
            guard !state.requested else { return nil }
            state.nextID &+= 1
            state.handlers[state.nextID] = handler
            return state.nextID
        }
    }

    private func unregister(_ id: UInt64) {
        _ = state.withLock { $0.handlers.removeValue(forKey: id) }
    }
}
