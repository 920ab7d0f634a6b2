/// A time source that stands in for the system's monotonic clock in a reactor, so that tests
/// fire timers, deadlines and idle timeouts at will instead of waiting for them
/// (`ManualClock` in the `EventLoopTesting` product is one).
///
/// A reactor created with a clock (``Reactor/init(name:tick:clock:stallDetection:offloadLimits:)``,
/// ``ReactorGroup/init(count:name:tick:clock:stallDetection:offloadLimits:)``) reads the time from it wherever it would read
/// CLOCK_MONOTONIC: its timing wheel, ``Reactor/schedule(at:_:)``, ``Reactor/sleep(until:)``,
/// connection deadlines and idle timeouts, the `Dialer`'s per-try timeout. Time then moves only
/// when the clock moves it: the reactor never sleeps toward its next timer, and the clock, after
/// moving, calls ``Reactor/fireDueTimers()`` on the reactors attached to it. Deadlines given to
/// such a reactor must come from the clock (`clock.now + .seconds(5)`), not from
/// ``Deadline/now``. `Task.sleep` and other Swift clocks are not affected.
public protocol ReactorClock: AnyObject, Sendable {
    /// The current time. Must never go backwards. Read on reactor threads, often: keep it cheap.
    var now: Deadline { get }
    /// Called once by each reactor created with this clock, from its initialiser (on the
    /// creating thread), so the clock can wake it when time moves. Hold it weakly.
    func attach(_ reactor: Reactor)
}
