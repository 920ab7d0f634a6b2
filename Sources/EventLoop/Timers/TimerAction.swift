/// Which of a ``TimerTarget``'s timers fired: a target with several timers (a connection's
/// read and write deadlines) tells them apart by this tag. The timer layer gives it no meaning.
enum TimerTag: UInt8, Sendable {
    /// The target's only timer, or its first one.
    case primary
    /// A timer for the read direction.
    case read
    /// A timer for the write direction.
    case write
}

/// An object a reactor timer calls back when it fires. Arming a timer for a target allocates
/// nothing (the wheel stores the reference and the tag), so the hot timers, connection
/// deadlines, cost no closure. Reactor thread only.
protocol TimerTarget: AnyObject {
    /// The timer armed with `tag` is due (never early). The timer is already removed: the
    /// target must forget its handle, and may arm a new one.
    func timerFired(_ tag: TimerTag)
    /// The reactor is stopping and drops the timer armed with `tag` without firing it.
    /// The default does nothing; a target with a parked task resumes it here.
    func timerDiscardedAtShutdown(_ tag: TimerTag)
}

extension TimerTarget {
    func timerDiscardedAtShutdown(_ tag: TimerTag) {}
}

/// What a reactor timer does when it fires: call a ``TimerTarget`` (no allocation) or run a
/// closure (``Reactor/schedule(at:_:)``).
enum TimerAction {
    /// Run a closure.
    case closure(() -> Void)
    /// Call `target.timerFired(tag)`.
    case target(any TimerTarget, TimerTag)
}

/// A timer scheduled on a reactor; identifies it for cancelling.
public struct TimerHandle: Sendable, Hashable {
    let wheel: TimingWheel<TimerAction>.Handle
}
