import Synchronization

/// A set of reactors, one per core by default, handed out round-robin.
///
/// Thread safety: every member may be used from any thread.
public final class ReactorGroup: Sendable {
    /// The reactors, in a fixed order.
    public let reactors: [Reactor]
    private let cursor = Atomic<Int>(0)

    /// CPUs the process may run on (its affinity mask, so `taskset` is honoured).
    public static var availableCores: Int { Syscall.availableCPUCount() }

    /// Starts `count` reactors (default: one per available core), each with a timing wheel of
    /// resolution `tick`, all reading the time from `clock` (nil: the system's monotonic clock;
    /// see ``ReactorClock``).
    ///
    /// Each reactor reports callbacks that run `stallDetection`'s threshold or longer (default
    /// 50 ms, a rate-limited line on stderr; ``StallDetection/off`` for none), and the group's
    /// ``runBlocking(_:)`` and ``Reactor/offload(_:)`` share one pool sized by `offloadLimits`.
    ///
    /// Throws ``NetError`` when one cannot start; those already started are stopped again.
    public init(count: Int? = nil, name: String = "reactor", tick: Duration = .milliseconds(1),
                clock: (any ReactorClock)? = nil, stallDetection: StallDetection = .default,
                offloadLimits: OffloadLimits = .default) throws(NetError) {
        let wanted = max(1, count ?? ReactorGroup.availableCores)
        let offloadPool = BlockingThreadPool(offloadLimits, name: name)
        var started: [Reactor] = []
        do {
            for index in 0..<wanted {
                started.append(try Reactor(name: "\(name)-\(index)", tick: tick, clock: clock,
                                           stallDetection: stallDetection, offloadPool: offloadPool))
            }
        } catch {
            for reactor in started { reactor.shutdownAndWait() }
            throw error
        }
        reactors = started
    }

    /// The next reactor, round-robin. O(1), lock-free.
    public func next() -> Reactor {
        let index = cursor.wrappingAdd(1, ordering: .relaxed).oldValue
        return reactors[index % reactors.count]
    }

    /// Sockets owned by all reactors of the group (the library's fd counter).
    public var openSocketCount: Int { reactors.reduce(0) { $0 + $1.openSocketCount } }

    /// The buffer pools of all reactors, added up. Any thread.
    public var bufferPoolStats: BufferPool.Stats { reactors.reduce(.zero) { $0 + $1.bufferPool.stats } }

    /// Shuts every reactor down (see ``Reactor/shutdown()``) and waits for their threads.
    public func shutdown() async {
        for reactor in reactors { reactor.requestStop() }
        for reactor in reactors { await reactor.shutdown() }
    }

    /// Blocking form of ``shutdown()``; must not be called on one of the group's threads.
    public func shutdownAndWait() {
        for reactor in reactors { reactor.requestStop() }
        for reactor in reactors { reactor.shutdownAndWait() }
    }

    /// Reactor threads still running in this process (all groups): 0 after every shutdown.
    public static var liveReactorThreads: Int { Reactor.liveThreads.load(ordering: .relaxed) }
}
