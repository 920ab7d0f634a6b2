extension Listener {
    /// Serves every connection with `handler` in a task group (structured: no task outlives
    /// this call), each child task on the connection's reactor; a connection is closed when its
    /// handler returns.
    ///
    /// Stopping:
    /// - **Graceful** — `shutdown` is requested (or the listener is closed): accepting stops at
    ///   once (the listening sockets close, so new clients are refused), the open connections
    ///   get `drainTimeout` to finish, then those still open are cancelled and closed.
    /// - **Immediate** — the calling task is cancelled (also during a drain): accepting stops,
    ///   every handler's task is cancelled and its connection closed (pending reads and writes
    ///   throw `CancellationError` or `.closed`).
    ///
    /// Returns once every handler has returned and the listening sockets are closed (the
    /// listener is always closed on return). A handler that neither uses its connection nor
    /// checks for cancellation after the stop keeps this call waiting for it. Unlike ``serve(_:)``, these handler tasks can be
    /// cancelled, so each wait that suspends installs a cancellation handler (a small cost per
    /// wait; ``serve(_:)`` stays the fastest path).
    ///
    /// - Parameters:
    ///   - drainTimeout: how long open connections may finish after a graceful stop.
    ///   - shutdown: the trigger of a graceful stop (nil: only ``close()`` and cancellation).
    ///   - handler: serves one connection; runs in its own child task on the connection's reactor.
    /// - Throws: ``NetError`` when accepting failed for a reason other than the listener being
    ///   closed (after the open connections have drained as for a graceful stop).
    public func serve(
        drainTimeout: Duration,
        shutdown: GracefulShutdown? = nil,
        _ handler: @escaping @Sendable (TCPConn) async -> Void
    ) async throws(NetError) {
        let open = OpenConnections()
        let acceptFailure = await withDiscardingTaskGroup { group -> NetError? in
            let failure = await (shutdown ?? GracefulShutdown()).withRequestHandler {
                await acceptUntilStopped(into: &group, tracking: open, handler)
            } onRequest: { [self] in
                close()
            }
            close()
            if Task.isCancelled {
                // Immediate: the children are cancelled with this task; close what they serve.
                open.closeAll()
            } else if await !open.waitUntilEmpty(timeout: drainTimeout) {
                group.cancelAll()
                open.closeAll()
            }
            return failure
        }
        await waitUntilClosed()
        if let acceptFailure { throw acceptFailure }
    }

    /// Accepts until the listener closes or the task is cancelled, starting a child task per
    /// connection; returns the accept failure that ended it, if any.
    private func acceptUntilStopped(
        into group: inout DiscardingTaskGroup,
        tracking open: OpenConnections,
        _ handler: @escaping @Sendable (TCPConn) async -> Void
    ) async -> NetError? {
        do {
            for try await conn in connections {
                open.insert(conn)
                group.addTask(executorPreference: conn.reactor) {
                    await handler(conn)
                    conn.close()
                    open.remove(conn)
                }
            }
            return nil
        } catch {
            return error
        }
    }
}
