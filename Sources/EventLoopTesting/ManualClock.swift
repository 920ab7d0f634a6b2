import EventLoop
import Synchronization

/// A clock that moves only when the test moves it, for driving timers, deadlines and idle
/// timeouts without sleeping.
///
/// Give it to the reactors under test (`ReactorGroup(count: 1, clock: clock)` or
/// `withReactorGroup(clock: clock)`), take deadlines from it (`clock.now + .seconds(5)`), and
/// call ``advance(by:)``: when that returns, every timer of those reactors that is due by the
/// new time has fired, in expiry order, and a read or write whose deadline passed has been
/// failed with `.timeout`. Nothing fires early, nothing fires by itself, and no test waits
/// for real time. Timers due within one ``advance(by:)`` all see the time it moves to: to see
/// intermediate times, advance in smaller steps. `Task.sleep` and the `Dialer`'s retry backoff
/// use the Swift clocks and are not driven by it.
///
/// Move the clock only once the operation under test is armed (a read parked, a sleep
/// suspended): an operation that starts after the clock passed its deadline fails at once,
/// which a test cannot tell apart from a timer that fired.
///
/// Thread-safe; `now` is a single atomic load.
public final class ManualClock: ReactorClock {
    private let nanoseconds: Atomic<UInt64>
    private let attached = Mutex<[WeakReactor]>([])
    /// Serialises the read and store of the time in `advance`, so concurrent advances add up
    /// instead of overwriting each other. (The timers fire after the lock is released: each
    /// advance returns once the timers due by the time it set have run.)
    private let advancing = Mutex<Void>(())

    private struct WeakReactor {
        weak var reactor: Reactor?
    }

    /// A clock reading `start` (by default 1,000 s after the origin, so that `now - seconds`
    /// stays meaningful).
    public init(start: Deadline = Deadline(nanoseconds: 1_000_000_000_000)) {
        nanoseconds = Atomic(start.nanoseconds)
    }

    /// The current time. Moves only through ``advance(by:)`` and ``advance(to:)``.
    public var now: Deadline { Deadline(nanoseconds: nanoseconds.load(ordering: .acquiring)) }

    /// Remembers `reactor` (weakly) to fire its timers when time moves. Called by the reactor.
    public func attach(_ reactor: Reactor) {
        attached.withLock { $0.append(WeakReactor(reactor: reactor)) }
    }

    /// Moves the time forward by `duration` (a negative duration is ignored) and returns once
    /// every attached reactor has run the timers due by then.
    public func advance(by duration: Duration) async {
        if duration > .zero {
            advancing.withLock { _ in nanoseconds.store((now + duration).nanoseconds, ordering: .releasing) }
        }
        await fireDueTimers()
    }

    /// Moves the time forward to `deadline` (never backwards) and returns once every attached
    /// reactor has run the timers due by then.
    public func advance(to deadline: Deadline) async {
        advancing.withLock { _ in
            if deadline > now { nanoseconds.store(deadline.nanoseconds, ordering: .releasing) }
        }
        await fireDueTimers()
    }

    private func fireDueTimers() async {
        let reactors = attached.withLock { list -> [Reactor] in
            list.removeAll { $0.reactor == nil }
            return list.compactMap(\.reactor)
        }
        for reactor in reactors { await reactor.fireDueTimers() }
    }
}
