/// The connections a ``Listener/serve(drainTimeout:shutdown:_:)`` is serving: what its drain
/// waits for and what it closes when the drain time is over. One lock per connection opened
/// and closed. Thread-safe.
final class OpenConnections: Sendable {
    private struct State {
        var open: [ObjectIdentifier: TCPConn] = [:]
        var nextWaiterID: UInt64 = 0
        var emptyWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Locked(State())

    /// Connections being served now.
    var count: Int { state.withLock { $0.open.count } }

    /// Records `conn` as being served.
    func insert(_ conn: TCPConn) {
        state.withLock { $0.open[ObjectIdentifier(conn)] = conn }
    }

    /// Forgets `conn` (its handler returned and it is closed); wakes the drain at the last one.
    func remove(_ conn: TCPConn) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open[ObjectIdentifier(conn)] = nil
            guard state.open.isEmpty else { return [] }
            defer { state.emptyWaiters.removeAll() }
            return Array(state.emptyWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Closes every connection being served (their pending calls throw `.closed`).
    func closeAll() {
        let open = state.withLock { Array($0.open.values) }
        for conn in open { conn.close() }
    }

    /// Waits until no connection is open, at most `timeout`; true when none is. Returns early
    /// (false unless none is open) when the task is cancelled.
    func waitUntilEmpty(timeout: Duration) async -> Bool {
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
            state.nextWaiterID &+= 1
            return state.nextWaiterID
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
