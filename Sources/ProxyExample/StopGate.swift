import EventLoop
import Synchronization

/// The proxy's "stopping" state: once ``stop()`` has been called (at SIGTERM/SIGINT, before
/// the drain and long before the reactors shut down), no client starts another upstream
/// attempt or backoff, and the clients still waiting for an upstream (a connect in flight or
/// a backoff) are woken at once to give up. So nothing is ever dialled onto a reactor that is
/// shutting down, and the drain waits only for pairs that are relaying.
///
/// Thread-safe: every method may be called from any thread. ``isStopped`` is one atomic load;
/// ``onStop(_:)`` and ``cancel(_:)`` take one short lock; ``stop()`` runs the registered
/// closures on the calling thread, once each, outside the lock.
final class StopGate: Sendable {
    private struct State {
        var stopped = false
        var nextID: UInt64 = 0
        var waiters: [UInt64: @Sendable () -> Void] = [:]
    }

    private let stopped = Atomic<Bool>(false)
    private let state = Locked(State())

    init() {}

    /// True once ``stop()`` has been called.
    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    /// Stops: every closure registered with ``onStop(_:)`` and not cancelled runs once, here.
    /// Idempotent.
    func stop() {
        let waiters = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.stopped else { return [] }
            state.stopped = true
            stopped.store(true, ordering: .releasing)
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for wake in waiters { wake() }
    }

    /// Registers `wake` to run once when the gate stops; returns the id for ``cancel(_:)``, or
    /// nil (and `wake` never runs) when it has already stopped.
    func onStop(_ wake: @escaping @Sendable () -> Void) -> UInt64? {
        state.withLock { state -> UInt64? in
            guard !state.stopped else { return nil }
            state.nextID &+= 1
            state.waiters[state.nextID] = wake
            return state.nextID
        }
    }

    /// Clients registered now (waiting for an upstream). One short lock.
    var waitingCount: Int { state.withLock { $0.waiters.count } }

    /// Forgets the closure registered under `id` (no effect once it has run).
    func cancel(_ id: UInt64) {
        _ = state.withLock { $0.waiters.removeValue(forKey: id) }
    }
}

/// True once, for whichever of several racing outcomes (a dial's completion, a timer, a stop)
/// claims it first. Thread-safe.
final class OnceFlag: Sendable {
    private let taken = Atomic<Bool>(false)

    init() {}

    /// True for the first caller only.
    func claim() -> Bool { !taken.exchange(true, ordering: .acquiringAndReleasing) }
}
