import EventLoop
import Logging
import Synchronization

/// A server's open connections, each with a way to close it: what `--max-conns` counts and
/// what a graceful shutdown waits for (and closes when the drain time is over).
///
/// One lock per connection opened and closed; nothing per message. Thread-safe.
public final class ConnectionRegistry: Sendable {
    /// Connections admitted at most at once; nil for no limit.
    public let limit: Int?
    private let state = Locked<State>(State())

    private struct State {
        var open: [UInt64: Entry] = [:]
        var nextID: UInt64 = 0
        var emptyWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    /// How one open connection is closed.
    private enum Entry: Sendable {
        /// A library connection: its `close()` may be called from any thread.
        case conn(TCPConn)
        /// Any other connection, through the closure given to ``admit(close:)``.
        case closure(@Sendable () -> Void)

        func close() {
            switch self {
            case .conn(let conn): conn.close()
            case .closure(let close): close()
            }
        }
    }

    /// A registry admitting at most `limit` connections at once (nil: any number).
    public init(limit: Int?) {
        self.limit = limit
    }

    /// Admits a connection and returns its id, or nil when `limit` connections are open.
    /// `close` must close the connection from any thread.
    public func admit(close: @escaping @Sendable () -> Void) -> UInt64? {
        admit(.closure(close))
    }

    /// Admits `conn` (closed with its own thread-safe `close()`: no closure allocated per
    /// connection) and returns its id, or nil when `limit` connections are open.
    public func admit(_ conn: TCPConn) -> UInt64? {
        admit(.conn(conn))
    }

    private func admit(_ entry: Entry) -> UInt64? {
        state.withLock { state -> UInt64? in
            if let limit, state.open.count >= limit { return nil }
            state.nextID &+= 1
            state.open[state.nextID] = entry
            return state.nextID
        }
    }

    /// The connection `id` has ended.
    public func remove(_ id: UInt64) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open[id] = nil
            guard state.open.isEmpty else { return [] }
            defer { state.emptyWaiters.removeAll() }
            return Array(state.emptyWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Connections open now.
    public var count: Int { state.withLock { $0.open.count } }

    /// Closes every open connection (each removes itself once it has ended); returns how many.
    @discardableResult
    public func closeAll() -> Int {
        let closers = state.withLock { Array($0.open.values) }
        for entry in closers { entry.close() }
        return closers.count
    }

    /// Waits until no connection is open, at most `timeout`; true when none is.
    public func waitUntilEmpty(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.waitUntilEmpty()
                return !Task.isCancelled
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || count == 0
        }
    }

    /// Waits until no connection is open; returns early when the task is cancelled.
    private func waitUntilEmpty() async {
        let id = state.withLock { state -> UInt64 in
            state.nextID &+= 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = state.withLock { state -> Bool in
                    if state.open.isEmpty || Task.isCancelled { return true }
                    state.emptyWaiters[id] = continuation
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.emptyWaiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}

extension ConnectionRegistry {
    /// A graceful drain: stops accepting on every listener at once, waits (at most `timeout`)
    /// for the registered connections to end, then closes those still open and waits briefly
    /// for them to be accounted for. Returns how many had to be closed.
    public func drain(_ listeners: [Listener], timeout: Duration, logger: Logger) async -> Int {
        for listener in listeners { listener.close() }
        for listener in listeners { await listener.waitUntilClosed() }
        let open = count
        logger.info("stopped accepting; draining \(open) connection(s) for up to \(timeout.inSeconds) s")
        if await waitUntilEmpty(timeout: timeout) {
            if open > 0 { logger.info("every connection finished") }
            return 0
        }
        let closed = closeAll()
        logger.notice("drain time over: closed \(closed) connection(s)")
        // The closes finish on the reactors; each connection then removes itself.
        if await !waitUntilEmpty(timeout: .seconds(2)) {
            logger.warning("\(count) connection(s) still closing")
        }
        return closed
    }
}
