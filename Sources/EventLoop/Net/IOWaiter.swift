/// What an ``IOWaiter``'s timeout errors name: the socket (or listener) it waits on.
protocol IOWaitSubject: AnyObject {
    /// An error of a wait on this socket: `code` for `operation`, with the socket's network and addresses.
    func waitError(_ code: NetError.Code, operation: String) -> NetError
}

/// The two directions an ``IOWaiter`` parks tasks for. Their errors name "read" and "write".
enum IODirection: Sendable {
    case read
    case write

    var operation: String {
        switch self {
        case .read: "read"
        case .write: "write"
        }
    }

    var timerTag: TimerTag {
        switch self {
        case .read: .read
        case .write: .write
        }
    }
}

/// One direction's state in an ``IOWaiter`` (40 bytes: the fields are in the order that
/// leaves no padding between them).
struct IOWaitSlot {
    var continuation: UnsafeContinuation<Void, any Error>?
    /// When the armed timer fires (`.max`: none armed).
    var timerAt: UInt64 = .max
    /// The deadline in force (monotonic ns; `.max`: none).
    var deadline: UInt64 = .max
    var timer: TimerHandle?
    var waitID: UInt32 = 0
}

/// The one waiting primitive: parks a task until one direction (read or write) of one socket
/// is ready, the direction's deadline passes, the socket closes or the task is cancelled,
/// whichever comes first, and resumes it exactly once. One object serves both directions of
/// a socket (one allocation per connection); ``IOWait`` is the view of one direction. Its
/// deadline timers are its own (it is the ``TimerTarget``, the tag naming the direction).
///
/// Go semantics for the deadline: a deadline in the past fails the next wait at once
/// (``checkDeadline(_:)``), and moving it while a task waits re-arms the wait
/// (``applyDeadline(_:_:)``). Pushing the deadline forward is a store: a timer already due
/// earlier re-arms itself for the moved deadline when it fires, so a deadline pushed on every
/// read costs no timer work, and a wait with no deadline touches no timer at all.
///
/// Reactor thread only; O(1) everywhere. A wait allocates nothing unless it installs a
/// cancellation handler.
// @unchecked Sendable: every member is touched only on `reactor`'s thread; the cancellation
// handler (the one place that runs elsewhere) only hops to the reactor.
final class IOWaiter: TimerTarget, @unchecked Sendable {
    let reactor: Reactor
    private unowned let subject: any IOWaitSubject

    // Reactor-thread state; unchecked exclusivity as explained in Reactor.swift.
    @exclusivity(unchecked) private var readSlot = IOWaitSlot()
    @exclusivity(unchecked) private var writeSlot = IOWaitSlot()

    /// A waiter for both directions of `subject` (the owner's socket: the owner keeps both alive).
    init(reactor: Reactor, subject: any IOWaitSubject) {
        self.reactor = reactor
        self.subject = subject
    }

    /// Runs `body` on the state of `direction`. `body` must not resume a continuation (a
    /// resume could re-enter): callers take the continuation out and resume it afterwards.
    @inline(__always)
    private func withSlot<Result>(_ direction: IODirection, _ body: (inout IOWaitSlot) -> Result) -> Result {
        switch direction {
        case .read: body(&readSlot)
        case .write: body(&writeSlot)
        }
    }

    /// True while a task is parked on `direction`.
    func isWaiting(_ direction: IODirection) -> Bool {
        withSlot(direction) { $0.continuation != nil }
    }

    /// The deadline of `direction` (monotonic ns; `.max`: none).
    @inline(__always)
    func deadline(_ direction: IODirection) -> UInt64 {
        switch direction {
        case .read: readSlot.deadline
        case .write: writeSlot.deadline
        }
    }

    /// Moves the deadline of `direction` without timer work (see the type's comment);
    /// ``applyDeadline(_:_:)`` also re-arms a pending wait.
    @inline(__always)
    func storeDeadline(_ deadline: UInt64, _ direction: IODirection) {
        switch direction {
        case .read: readSlot.deadline = deadline
        case .write: writeSlot.deadline = deadline
        }
    }

    /// The timeout error of `direction`.
    func timeoutError(_ direction: IODirection) -> NetError {
        subject.waitError(.timeout, operation: direction.operation)
    }

    /// Throws `.timeout` when the deadline of `direction` has passed (checked before every attempt).
    @inline(__always)
    func checkDeadline(_ direction: IODirection) throws(NetError) {
        let deadline = deadline(direction)
        if deadline != .max && deadline <= reactor.clockNanoseconds() { throw timeoutError(direction) }
    }

    /// Sets the deadline; a pending wait fails now when it has passed, or is re-armed.
    func applyDeadline(_ newDeadline: UInt64, _ direction: IODirection) {
        storeDeadline(newDeadline, direction)
        guard isWaiting(direction), newDeadline != .max else { return }
        if newDeadline <= reactor.clockNanoseconds() {
            takeContinuation(direction)?.resume(throwing: timeoutError(direction))
        } else {
            armTimer(direction)
        }
    }

    /// Clears the deadline and drops its timer at once (rather than letting it fire idle).
    func clearDeadline(_ direction: IODirection) {
        storeDeadline(.max, direction)
        cancelTimer(direction)
    }

    /// Parks the calling task until ``resumeReady(_:)``, the deadline, ``fail(_:_:)`` or (when
    /// `cancellable`) the task's cancellation. Throws at once `CancellationError` when the task
    /// is cancelled, `closedError` when `isOpen` is false, `.timeout` when the deadline has
    /// passed, `.concurrentOperation` when another task waits already. The continuation
    /// inherits the caller's executor; a `cancellable` wait installs a cancellation handler
    /// (status-record locks and an allocation: only for tasks something else can cancel).
    @inline(__always)
    nonisolated(nonsending) func wait(_ direction: IODirection, isOpen: Bool, closedError: @autoclosure () -> NetError,
                                      cancellable: Bool) async throws {
        try prepareToWait(direction, isOpen: isOpen, closedError: closedError)
        if !cancellable {
            return try await _unsafeInheritExecutor_withUnsafeThrowingContinuation { (parked: UnsafeContinuation<Void, any Error>) in
                park(parked, direction)
            }
        }
        try await waitCancellably(direction)
    }

    /// The checks before a wait, and its deadline timer. Not inlined: its locals would sit in
    /// the caller's async frame, which a parked task keeps for as long as it waits.
    @inline(never)
    private func prepareToWait(_ direction: IODirection, isOpen: Bool, closedError: () -> NetError) throws {
        try Task.checkCancellation()
        guard isOpen else { throw closedError() }
        guard !isWaiting(direction) else {
            throw subject.waitError(.concurrentOperation, operation: direction.operation)
        }
        if deadline(direction) != .max {
            try checkDeadline(direction)
            armTimer(direction)
        }
    }

    @inline(__always)
    @discardableResult
    private func park(_ parked: UnsafeContinuation<Void, any Error>, _ direction: IODirection) -> UInt32 {
        withSlot(direction) { slot in
            slot.continuation = parked
            slot.waitID &+= 1
            return slot.waitID
        }
    }

    /// The wait with a cancellation handler. Out of line, so the common wait's frame stays small.
    @inline(never)
    private nonisolated(nonsending) func waitCancellably(_ direction: IODirection) async throws {
        // The wait's number, for the handler to recognise it: the one `park` is about to give.
        let id = withSlot(direction) { $0.waitID &+ 1 }
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (parked: UnsafeContinuation<Void, any Error>) in
                park(parked, direction)
            }
        } onCancel: {
            self.reactor.execute {
                // Off the reactor only after shutdown, which has resumed every waiter already.
                guard self.reactor.isCurrent else { return }
                self.cancel(id, direction)
            }
        }
    }

    private func cancel(_ id: UInt32, _ direction: IODirection) {
        let parked = withSlot(direction) { slot -> UnsafeContinuation<Void, any Error>? in
            guard slot.waitID == id else { return nil }
            return slot.continuation.take()
        }
        parked?.resume(throwing: CancellationError())
    }

    @inline(__always)
    private func takeContinuation(_ direction: IODirection) -> UnsafeContinuation<Void, any Error>? {
        withSlot(direction) { $0.continuation.take() }
    }

    /// `direction` turned ready: resumes the parked task, if any. True when one was parked.
    @inline(__always)
    @discardableResult
    func resumeReady(_ direction: IODirection) -> Bool {
        guard let parked = takeContinuation(direction) else { return false }
        parked.resume()
        return true
    }

    /// The socket closed (or the reactor stopped): the task parked on `direction`, if any,
    /// throws `error`, and the deadline timer (which holds this waiter) is dropped.
    func fail(_ direction: IODirection, _ error: @autoclosure () -> NetError) {
        cancelTimer(direction)
        takeContinuation(direction)?.resume(throwing: error())
    }

    /// Drops the deadline timer of `direction`, if one is armed.
    func cancelTimer(_ direction: IODirection) {
        let timer = withSlot(direction) { slot -> TimerHandle? in
            slot.timerAt = .max
            return slot.timer.take()
        }
        if let timer { reactor.cancelTimer(timer) }
    }

    // MARK: timer

    /// Ensures a timer fires no later than the deadline. A timer already due earlier is kept.
    private func armTimer(_ direction: IODirection) {
        let (deadline, stale) = withSlot(direction) { slot -> (UInt64, TimerHandle?) in
            if slot.timer != nil && slot.timerAt <= slot.deadline { return (.max, nil) }
            slot.timerAt = slot.deadline
            return (slot.deadline, slot.timer.take())
        }
        guard deadline != .max else { return }
        if let stale { reactor.cancelTimer(stale) }
        let timer = reactor.scheduleTimer(atNanoseconds: deadline, .target(self, direction.timerTag))
        withSlot(direction) { $0.timer = timer }
    }

    /// A deadline timer fired: the task parked on its direction times out, or the timer
    /// re-arms for a deadline moved later meanwhile.
    func timerFired(_ tag: TimerTag) {
        let direction: IODirection = tag == .write ? .write : .read
        let deadline = withSlot(direction) { slot -> UInt64 in
            slot.timer = nil
            slot.timerAt = .max
            return slot.continuation == nil ? .max : slot.deadline
        }
        guard deadline != .max else { return }
        if deadline <= reactor.loopTime {
            takeContinuation(direction)?.resume(throwing: timeoutError(direction))
        } else {
            armTimer(direction)
        }
    }
}
