import Synchronization

extension Reactor {
    /// Converts a monotonic time to the wheel's tick, rounding up (a timer never fires early).
    @inline(__always)
    func tick(ceilingOf nanoseconds: UInt64) -> UInt64 {
        guard nanoseconds > origin else { return 0 }
        let delta = nanoseconds - origin
        return delta / tickNanoseconds + (delta % tickNanoseconds == 0 ? 0 : 1)
    }

    /// The tick the loop has reached at `nanoseconds` (rounded down).
    @inline(__always)
    func tick(floorOf nanoseconds: UInt64) -> UInt64 {
        nanoseconds > origin ? (nanoseconds - origin) / tickNanoseconds : 0
    }

    /// Schedules `action` for `deadline` (monotonic ns). Reactor thread only. O(1).
    func scheduleTimer(atNanoseconds deadline: UInt64, _ action: TimerAction) -> TimerHandle {
        assertOnReactor()
        return TimerHandle(wheel: wheel.schedule(at: tick(ceilingOf: deadline), action))
    }

    /// Cancels a timer; returns its action when it was still pending. Reactor thread only. O(1).
    @discardableResult
    func cancelTimer(_ handle: TimerHandle) -> TimerAction? {
        assertOnReactor()
        return wheel.cancel(handle.wheel)
    }

    /// Runs `action` after `nanoseconds` (reactor thread only).
    @discardableResult
    func schedule(afterNanoseconds nanoseconds: UInt64, _ action: @escaping () -> Void) -> TimerHandle {
        let (deadline, overflow) = clockNanoseconds().addingReportingOverflow(nanoseconds)
        return scheduleTimer(atNanoseconds: overflow ? .max : deadline, .closure(action))
    }

    /// Fires every timer due by the loop's current time.
    func runExpiredTimers() {
        guard !wheel.isEmpty else { return }
        let now = tick(floorOf: loopTime)
        var fired: UInt64 = 0
        while let action = wheel.popExpired(through: now) {
            fire(action)
            endSlice()
            fired &+= 1
        }
        if fired != 0 { counters.timersFired.addFromOwner(fired) }
    }

    private func fire(_ action: TimerAction) {
        switch action {
        case .closure(let body): body()
        case .target(let target, let tag): target.timerFired(tag)
        }
    }

    /// Milliseconds until the next timer (rounded up), or nil when none is pending. With a
    /// ``ReactorClock`` also nil while the next timer is not due: its time comes only when the
    /// clock moves, and the clock then wakes the reactor. A timer further than `Int32.max`
    /// milliseconds away (about 24.8 days, `Deadline.distantFuture` included) gives that
    /// maximum: the time is computed with saturating arithmetic, so it never wraps to "due".
    func millisecondsUntilNextTimer() -> Int32? {
        guard let next = wheel.nextExpiry() else { return nil }
        let (sinceOrigin, productOverflow) = next.multipliedReportingOverflow(by: tickNanoseconds)
        let (sum, sumOverflow) = origin.addingReportingOverflow(sinceOrigin)
        let due = productOverflow || sumOverflow ? UInt64.max : sum
        let now = clockNanoseconds()
        if due <= now { return 0 }
        if clock != nil { return nil }
        return Int32(min((due - now + 999_999) / 1_000_000, UInt64(Int32.max)))
    }

    // MARK: public scheduling

    /// Runs every timer due by the clock's current time on the reactor thread, and returns
    /// once they have run (tasks they resume, such as a read failing with `.timeout`, continue
    /// right after). A ``ReactorClock`` calls it after moving; with the system clock it only
    /// fires early what the loop would fire anyway. Returns at once after shutdown.
    public func fireDueTimers() async {
        if isCurrent { return fireDueTimersNow() }
        _ = try? await submit { self.fireDueTimersNow() }
    }

    private func fireDueTimersNow() {
        loopTime = clockNanoseconds()
        runExpiredTimers()
    }

    /// Runs `body` on the reactor thread at `deadline` (never before; at most one tick after,
    /// when the reactor is not overloaded). Callable from any thread; the returned timer cancels.
    /// Once shutdown has begun the timer is refused: `body` never runs and the timer's
    /// ``ScheduledTimer/refusal`` is `.shuttingDown` (at once when this call sees the shutdown,
    /// otherwise once the arming reaches the reactor). A deadline any distance away costs
    /// nothing while it waits (the reactor's timing wheel keeps far deadlines in an overflow list).
    @discardableResult
    public func schedule(at deadline: Deadline, _ body: @escaping @Sendable () -> Void) -> ScheduledTimer {
        let timer = ScheduledTimer(reactor: self)
        if isShuttingDown {
            timer.refuse()
        } else if isCurrent {
            timer.arm(deadline, body)
        } else {
            execute { timer.arm(deadline, body) }
        }
        return timer
    }

    /// Runs `body` on the reactor thread after `delay`. See ``schedule(at:_:)``.
    @discardableResult
    public func schedule(after delay: Duration, _ body: @escaping @Sendable () -> Void) -> ScheduledTimer {
        schedule(at: now + delay, body)
    }

    /// Suspends the calling task until `deadline`, resuming it on this reactor.
    /// Throws `CancellationError` when the task is cancelled, `.shuttingDown` when called once
    /// shutdown has begun, `.reactorStopped` when the shutdown ends the sleep. Any distance is
    /// fine (`Deadline.distantFuture` included): a far sleep costs no wake-up.
    public func sleep(until deadline: Deadline) async throws {
        if isCurrent { return try await sleepOnReactor(until: deadline) }
        if isShuttingDown { throw NetError(.shuttingDown, operation: "sleep") }
        try await withTaskExecutorPreference(self) { try await self.sleepOnReactor(until: deadline) }
    }

    /// Suspends the calling task for `duration`. See ``sleep(until:)``.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now + duration)
    }

    private func sleepOnReactor(until deadline: Deadline) async throws {
        guard isCurrent, !isShuttingDown else { throw NetError(.shuttingDown, operation: "sleep") }
        try Task.checkCancellation()
        if deadline.nanoseconds <= clockNanoseconds() { return }
        let state = SleepState()
        let box = UncheckedBox(state)
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                state.continuation = continuation
                state.handle = scheduleTimer(atNanoseconds: deadline.nanoseconds, .target(state, .primary))
            }
        } onCancel: {
            self.execute {
                // Off the reactor only after shutdown, which has woken every sleeper already.
                guard self.isCurrent else { return }
                let state = box.value
                if let handle = state.handle { self.cancelTimer(handle) }
                state.handle = nil
                state.continuation.take()?.resume(throwing: CancellationError())
            }
        }
    }
}

/// A task sleeping on a reactor until a deadline (reactor thread only).
final class SleepState: TimerTarget {
    var continuation: UnsafeContinuation<Void, any Error>?
    var handle: TimerHandle?

    /// The sleep's deadline came: resume the task.
    func timerFired(_ tag: TimerTag) {
        handle = nil
        continuation.take()?.resume()
    }

    /// The reactor stops first: the sleep ends with `.reactorStopped`.
    func timerDiscardedAtShutdown(_ tag: TimerTag) {
        handle = nil
        continuation.take()?.resume(throwing: NetError(.reactorStopped, operation: "sleep"))
    }
}

/// Carries a reactor-confined object through a `@Sendable` closure back to its own reactor.
// @unchecked Sendable: the value is only dereferenced on the reactor thread that created it.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A timer scheduled with ``Reactor/schedule(at:_:)``. Thread-safe; one allocation and no lock
/// per timer (its state is one atomic word).
public final class ScheduledTimer: Sendable {
    /// The reactor the timer runs on.
    public let reactor: Reactor
    /// `Self.pending`, or the armed timer's wheel handle with `Self.armedBit`, or the
    /// `cancelledBit` and/or `refusedBit`. Moves only by compare-and-exchange (or by setting
    /// the refused bit while not armed), so `arm` and `cancel` on different threads agree on
    /// which came first.
    private let state = Atomic<UInt64>(ScheduledTimer.pending)

    /// Neither armed nor cancelled nor refused yet.
    private static var pending: UInt64 { 0 }
    private static var cancelledBit: UInt64 { 1 }
    private static var refusedBit: UInt64 { 2 }
    /// Set while armed; the other 63 bits are the wheel handle (a 31-bit index, a 32-bit generation).
    private static var armedBit: UInt64 { 1 << 63 }

    init(reactor: Reactor) { self.reactor = reactor }

    /// `.shuttingDown` when the timer was refused because its reactor's shutdown had begun
    /// (its body never runs); nil otherwise. Any thread.
    public var refusal: NetError? {
        let current = state.load(ordering: .acquiring)
        guard current & Self.armedBit == 0, current & Self.refusedBit != 0 else { return nil }
        return NetError(.shuttingDown, operation: "schedule")
    }

    /// Never called while armed: before the timer is returned, or by `arm` instead of arming.
    func refuse() {
        state.bitwiseOr(Self.refusedBit, ordering: .acquiringAndReleasing)
    }

    /// On the reactor thread, or on the fallback queue when the reactor stopped before the
    /// arming reached it: then (or once shutdown has begun) the timer is refused instead of
    /// touching the wheel. A `cancel()` that lands between the check and the store of the
    /// handle makes the exchange fail: the timer just armed is then cancelled here.
    func arm(_ deadline: Deadline, _ body: @escaping @Sendable () -> Void) {
        guard reactor.isCurrent, !reactor.isShuttingDown else { return refuse() }
        guard state.load(ordering: .acquiring) == Self.pending else { return }
        let handle = reactor.scheduleTimer(atNanoseconds: deadline.nanoseconds, .closure(body))
        let (armed, _) = state.compareExchange(
            expected: Self.pending, desired: Self.encode(handle), ordering: .acquiringAndReleasing)
        if !armed { reactor.cancelTimer(handle) }
    }

    /// Cancels the timer if it has not fired yet. On the reactor thread its body then never
    /// runs; from another thread the cancel reaches the reactor through its queue, so a body
    /// already due may run first, but a timer cancelled before it is due never runs, even when
    /// the cancel races the arming. Idempotent; callable from any thread; takes no lock, and
    /// allocates only to cross to the reactor.
    public func cancel() {
        var current = state.load(ordering: .acquiring)
        while true {
            if current & Self.armedBit == 0 {
                // Not armed (yet): the arming sees the bit and does not arm.
                if current & Self.cancelledBit != 0 { return }
                let (done, original) = state.compareExchange(
                    expected: current, desired: current | Self.cancelledBit, ordering: .acquiringAndReleasing)
                if done { return }
                current = original
            } else {
                let (done, original) = state.compareExchange(
                    expected: current, desired: Self.cancelledBit, ordering: .acquiringAndReleasing)
                if done { return disarm(Self.decode(current)) }
                current = original
            }
        }
    }

    private func disarm(_ handle: TimerHandle) {
        if reactor.isCurrent {
            reactor.cancelTimer(handle)
        } else {
            // After shutdown the closure runs off the reactor, whose wheel is gone by then.
            let reactor = self.reactor
            reactor.execute { if reactor.isCurrent { reactor.cancelTimer(handle) } }
        }
    }

    private static func encode(_ handle: TimerHandle) -> UInt64 {
        armedBit | UInt64(UInt32(bitPattern: handle.wheel.index)) << 32 | UInt64(handle.wheel.generation)
    }

    private static func decode(_ word: UInt64) -> TimerHandle {
        TimerHandle(wheel: .init(index: Int32(truncatingIfNeeded: (word & ~armedBit) >> 32),
                                 generation: UInt32(truncatingIfNeeded: word)))
    }
}
