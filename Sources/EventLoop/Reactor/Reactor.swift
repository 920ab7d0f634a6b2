import Glibc
import Synchronization

// @unchecked Sendable: the mutable state below the `confined` mark is touched only on the
// reactor thread (asserted by `assertOnReactor()`); the cross-thread state is in `Mutex` and
// `Atomic` values.
/// One thread, one epoll instance: the engine under every connection.
///
/// A reactor owns the sockets registered with it; their state is touched only on its thread.
/// Other threads reach it through ``execute(_:)`` (a locked queue plus one coalesced eventfd
/// wake-up). It is a Swift `TaskExecutor` and `SerialExecutor`, so a task started with
/// `Task(executorPreference: reactor)` runs on its thread and resumes there after I/O with no
/// thread hop and no lock.
///
/// Thread safety: every public method may be called from any thread.
public final class Reactor: @unchecked Sendable {
    /// Readiness callbacks at most per epoll_wait batch.
    static let maxEventsPerWait: Int32 = 256
    /// Queued jobs and closures run at most per pass before epoll is polled again.
    static let maxTasksPerPass = 1024
    /// Reads a handler-level socket performs at most per readiness event before yielding.
    public static let maxReadsPerEvent = 16

    /// A short name for logs and the thread name (`reactor-0`).
    public let name: String
    let epollFD: Int32
    let wakeFD: Int32

    // Cross-thread state.
    let inbox = Locked<Inbox>(Inbox())
    let inboxNonEmpty = Atomic<Bool>(false)
    let wakePending = Atomic<Bool>(false)
    let stopRequested = Atomic<Bool>(false)
    let threadID = Atomic<UInt>(0)
    let socketsOpen = Atomic<Int>(0)
    let wakeupCounter = Atomic<UInt64>(0)
    let finished = Locked<FinishState>(FinishState())
    var thread: ReactorThread?

    struct Inbox {
        var work: [Work] = []
        var stopped = false
    }

    struct FinishState {
        var done = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    // Confined to the reactor thread. `@exclusivity(unchecked)` skips the runtime's dynamic
    // exclusivity check (a thread-local lookup per access) on the hot reactor-thread state
    // below and in TCPConn, StreamSocket, CopyPump and BufferPool. It is safe because one
    // thread touches this state, and no access to it spans a call into a handler, a user
    // closure or a deinit that could reach the same property again: callbacks run after the
    // access has ended (see `release(token:)`, which takes the handler out before dropping it).
    @exclusivity(unchecked) var jobs = WorkQueue()
    /// The inbox's other array: drained on the reactor thread while producers fill the first.
    @exclusivity(unchecked) var inboxSpare: [Work] = []
    @exclusivity(unchecked) var slots: [Slot] = []
    @exclusivity(unchecked) var freeSlots: [UInt32] = []
    @exclusivity(unchecked) var wheel = TimingWheel<TimerAction>()
    /// The monotonic time of tick 0 of the wheel.
    let origin: UInt64
    /// The wheel's tick in nanoseconds.
    let tickNanoseconds: UInt64
    /// The time source when it is not the system's monotonic clock (tests); nil otherwise.
    let clock: (any ReactorClock)?
    @exclusivity(unchecked) var redispatch: [(token: UInt64, readiness: Readiness)] = []
    @exclusivity(unchecked) var redispatchSpare: [(token: UInt64, readiness: Readiness)] = []
    /// Monotonic nanoseconds, refreshed once per loop pass (cheap "now" for activity stamps).
    @exclusivity(unchecked) public internal(set) var loopTime: UInt64 = 0
    /// A scratch buffer for handler-level reads, reused by every socket of this reactor.
    let scratch: UnsafeMutableRawBufferPointer
    /// Message vectors for datagram sockets' `recvmmsg` and `sendmmsg`, made on first use.
    lazy var receiveVector = MessageVector(receiving: true)
    lazy var sendVector = MessageVector(receiving: false)
    /// This reactor's buffer memory: reads go into its chunks, and an idle connection holds none.
    public let bufferPool: BufferPool
    /// Values the reactor's users keep per reactor (``ReactorLocalKey``), one slot per key.
    /// Reactor thread only.
    @exclusivity(unchecked) var locals = [AnyObject?](repeating: nil, count: ReactorLocals.capacity)
    /// What those users asked to run at shutdown (``onShutdown(_:)``). Reactor thread only.
    var shutdownHooks: [() -> Void] = []
    /// Activity counters for ``statistics`` (written on the reactor thread only).
    let counters = ReactorCounters()
    /// Where stalls are reported, and the watch timing each callback (Blocking/Reactor+Stalls.swift).
    let stallDetection: StallDetection
    @exclusivity(unchecked) var stallWatch: StallWatch
    /// The thread pool ``offload(_:)`` runs blocking work on (shared by the group's reactors).
    let offloadPool: BlockingThreadPool

    struct Slot {
        var generation: UInt32 = 0
        var handler: (any ReactorIOHandler)?
    }

    /// Process-wide count of reactor threads still running (for leak checks).
    static let liveThreads = Atomic<Int>(0)

    /// Creates a reactor and starts its thread.
    ///
    /// - Parameters:
    ///   - name: the reactor's label in logs and its thread's name (cut to the kernel's 15 characters).
    ///   - tick: the timing wheel's resolution (default 1 ms): timers fire at most one tick
    ///     late, never early.
    ///   - clock: where the reactor reads the time; nil (the default) for the system's
    ///     monotonic clock. A test passes a clock it moves by hand (see ``ReactorClock``).
    ///   - stallDetection: the threshold over which a callback counts and is reported as a
    ///     stall (default 50 ms, to stderr; ``StallDetection/off`` for none).
    ///   - offloadLimits: the size of the pool ``offload(_:)`` runs blocking work on.
    /// Throws ``NetError`` when epoll or eventfd cannot be created (fd limit).
    public convenience init(name: String = "reactor", tick: Duration = .milliseconds(1), clock: (any ReactorClock)? = nil,
                            stallDetection: StallDetection = .default, offloadLimits: OffloadLimits = .default) throws(NetError) {
        try self.init(name: name, tick: tick, clock: clock, stallDetection: stallDetection,
                      offloadPool: BlockingThreadPool(offloadLimits, name: name))
    }

    /// Creates a reactor whose ``offload(_:)`` uses `offloadPool` (a group shares one).
    init(name: String, tick: Duration, clock: (any ReactorClock)?, stallDetection: StallDetection,
         offloadPool: BlockingThreadPool) throws(NetError) {
        self.name = name
        self.stallDetection = stallDetection
        stallWatch = StallWatch(stallDetection)
        self.offloadPool = offloadPool
        tickNanoseconds = tick.positiveNanoseconds
        self.clock = clock
        origin = clock?.now.nanoseconds ?? Syscall.monotonicNanoseconds()
        epollFD = try Syscall.epollCreate()
        do {
            wakeFD = try Syscall.eventFD()
        } catch {
            Syscall.close(epollFD)
            throw error
        }
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        bufferPool = BufferPool()
        loopTime = origin
        // The wake-up descriptor uses token 0, which no socket registration ever gets.
        try? Syscall.epollAdd(epollFD, fd: wakeFD, interest: [.readable, .edgeTriggered], data: 0)
        slots.append(Slot(generation: 0, handler: nil))
        bufferPool.ownerThreadID = { [unowned self] in self.threadID.load(ordering: .relaxed) }
        Reactor.liveThreads.add(1, ordering: .relaxed)
        thread = ReactorThread(name: name) { [self] in runLoop() }
        clock?.attach(self)
    }

    deinit {
        scratch.deallocate()
    }

    /// The current time on this reactor's clock: the system's monotonic clock, or the
    /// ``ReactorClock`` it was created with. Deadlines for its connections start from here.
    public var now: Deadline { Deadline(nanoseconds: clockNanoseconds()) }

    /// The time in monotonic nanoseconds, from ``clock`` when there is one.
    @inline(__always)
    func clockNanoseconds() -> UInt64 {
        if let clock { return clock.now.nanoseconds }
        return Syscall.monotonicNanoseconds()
    }

    /// True when called on this reactor's thread.
    @inline(__always)
    public var isCurrent: Bool { threadID.load(ordering: .relaxed) == ReactorThread.currentID }

    /// True once shutdown has finished (the thread no longer takes work); calls on its sockets
    /// then fail with `.reactorStopped`. See also ``isShuttingDown``.
    public var isStopped: Bool { inbox.withLock { $0.stopped } }

    /// True once ``shutdown()`` (or the group's) has begun: from then on new work is refused
    /// with `.shuttingDown`. Any thread; one atomic load.
    public var isShuttingDown: Bool { stopRequested.load(ordering: .acquiring) }

    /// True when the caller is off this reactor's thread and the reactor has stopped: work
    /// handed to a stopped reactor runs on a fallback queue, where a reactor-thread-only call
    /// fails with `.reactorStopped` instead of trapping. Free on the reactor's own thread.
    @inline(__always)
    var hasStoppedUnderCaller: Bool { !isCurrent && isStopped }

    /// How many times epoll_wait has returned: an idle reactor with no timers does not wake at all.
    public var wakeups: UInt64 { wakeupCounter.load(ordering: .relaxed) }

    /// Sockets this reactor currently owns (open descriptors): the library's own fd counter.
    public var openSocketCount: Int { socketsOpen.load(ordering: .relaxed) }

    @inline(__always)
    func assertOnReactor(_ file: StaticString = #fileID, line: UInt = #line) {
        assert(isCurrent, "reactor-confined state touched off the reactor thread", file: file, line: line)
    }

    // MARK: registration (reactor thread only)

    /// Registers `fd` for edge-triggered readiness of `interest` and returns its
    /// ``Registration``, whose token is the slot index in the low 32 bits and the slot's
    /// generation in the high 32 bits. An event carrying a stale generation (the fd was closed
    /// and its number reused) is dropped.
    ///
    /// Throws `.shuttingDown` once shutdown has begun: the shutdown closes the sockets registered
    /// before it, so one registered later would never be woken (the caller closes the fd).
    func register(fd: Int32, interest: Readiness, handler: any ReactorIOHandler) throws(NetError) -> Registration {
        assertOnReactor()
        if isShuttingDown { throw NetError(.shuttingDown, operation: "register") }
        let index: UInt32
        if let free = freeSlots.popLast() {
            index = free
        } else {
            index = UInt32(slots.count)
            slots.append(Slot())
        }
        slots[Int(index)].handler = handler
        let token = UInt64(slots[Int(index)].generation) << 32 | UInt64(index)
        do {
            try Syscall.epollAdd(epollFD, fd: fd, interest: interest.union(.edgeTriggered), data: token)
        } catch {
            release(token: token)
            throw error
        }
        return Registration(fd: fd, token: token, interest: interest)
    }

    /// Changes what a registered descriptor is watched for (edge-triggered still), keeping its
    /// token. Readiness that holds already is reported again as a new edge. On failure the
    /// registration keeps its previous interest.
    func modify(_ registration: inout Registration, interest: Readiness) throws(NetError) {
        assertOnReactor()
        try Syscall.epollModify(epollFD, fd: registration.fd, interest: interest.union(.edgeTriggered), data: registration.token)
        registration.interest = interest
    }

    /// Forgets a registration; the caller closes the descriptor (which removes it from epoll).
    func release(_ registration: Registration) {
        release(token: registration.token)
    }

    /// Forgets the registration of `token` (a stale token is ignored).
    func release(token: UInt64) {
        assertOnReactor()
        let index = Int(token & 0xffff_ffff)
        guard index < slots.count, slots[index].generation == UInt32(token >> 32) else { return }
        // Taken out first, so that the handler is released after the access to `slots` ends.
        let handler = slots[index].handler
        slots[index].handler = nil
        slots[index].generation &+= 1
        freeSlots.append(UInt32(index))
        withExtendedLifetime(handler) {}
    }

    /// Delivers `readiness` to `registration`'s handler in the next pass instead of waiting for
    /// a new edge (used to bound the work done for one socket per pass).
    func dispatchAgainNextPass(_ registration: Registration, _ readiness: Readiness) {
        redispatch.append((registration.token, readiness))
    }

    /// Delivers readiness to the handler of `token`, unless the registration is stale.
    @inline(__always)
    func dispatch(token: UInt64, readiness: Readiness) {
        let index = Int(token & 0xffff_ffff)
        guard index < slots.count else { return }
        let slot = slots[index]
        guard slot.generation == UInt32(token >> 32), let handler = slot.handler else { return }
        handler.handleEvents(readiness)
    }

    /// Counts a socket descriptor as owned by this reactor (balanced by ``socketClosed()``).
    func socketOpened() { socketsOpen.add(1, ordering: .relaxed) }

    /// Uncounts an owned descriptor that is closed (or pooled) elsewhere.
    func socketClosed() { socketsOpen.subtract(1, ordering: .relaxed) }

    /// Closes an owned socket descriptor and uncounts it.
    func closeSocket(_ fd: Int32) {
        Syscall.close(fd)
        socketsOpen.subtract(1, ordering: .relaxed)
    }
}
