/// A snapshot of one reactor's activity, from ``Reactor/statistics`` or
/// ``ReactorGroup/statistics``.
///
/// Consistency: each counter is written by the reactor thread alone and read with a relaxed
/// atomic load, without a hop to the reactor. Each value is exact as of some moment during the
/// read and counters never go backwards, but the fields are not read at one instant: under
/// traffic `eventsHandled` and `tasksRun` may be a few callbacks apart. `timersArmed` is
/// refreshed once per loop pass (before the reactor sleeps, so it is exact while idle).
public struct ReactorStatistics: Sendable, Hashable {
    /// The reactor's name (`reactor-0`).
    public var reactor: String
    /// Loop passes: how many times epoll_wait returned.
    public var loopIterations: UInt64
    /// Readiness events delivered to sockets' handlers.
    public var eventsHandled: UInt64
    /// Jobs and closures run: task slices (a task's run up to its next suspension) and
    /// ``Reactor/execute(_:)`` closures.
    public var tasksRun: UInt64
    /// Timers fired (deadlines, sleeps, scheduled closures).
    public var timersFired: UInt64
    /// Timers pending now.
    public var timersArmed: Int
    /// Socket descriptors the reactor owns now.
    public var openSockets: Int
    /// Callbacks that held the thread past the stall threshold (see ``StallDetection``).
    public var stalls: UInt64
    /// The reactor's buffer pool: chunks in use, kept, hits and misses.
    public var bufferPool: BufferPool.Stats

    /// A snapshot with the given values (for tests of consumers).
    public init(reactor: String, loopIterations: UInt64, eventsHandled: UInt64, tasksRun: UInt64,
                timersFired: UInt64, timersArmed: Int, openSockets: Int, stalls: UInt64, bufferPool: BufferPool.Stats) {
        self.reactor = reactor
        self.loopIterations = loopIterations
        self.eventsHandled = eventsHandled
        self.tasksRun = tasksRun
        self.timersFired = timersFired
        self.timersArmed = timersArmed
        self.openSockets = openSockets
        self.stalls = stalls
        self.bufferPool = bufferPool
    }
}

extension Reactor {
    /// This reactor's activity counters now. Any thread; a few relaxed atomic loads, no hop to
    /// the reactor and no lock (see ``ReactorStatistics`` for the consistency).
    public var statistics: ReactorStatistics {
        ReactorStatistics(
            reactor: name, loopIterations: wakeups,
            eventsHandled: counters.events.load(ordering: .relaxed),
            tasksRun: counters.tasks.load(ordering: .relaxed),
            timersFired: counters.timersFired.load(ordering: .relaxed),
            timersArmed: counters.timersArmed.load(ordering: .relaxed),
            openSockets: openSocketCount,
            stalls: counters.stalls.load(ordering: .relaxed),
            bufferPool: bufferPool.stats)
    }
}

extension ReactorGroup {
    /// One snapshot per reactor, in the order of ``reactors``. Any thread; O(reactors).
    public var statistics: [ReactorStatistics] { reactors.map(\.statistics) }
}
