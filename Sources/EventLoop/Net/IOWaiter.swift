/// What an ``IOWaiter``'s errors name: the socket it waits on.
protocol IOWaitSubject: AnyObject {
    /// An error of a wait on this socket: `code` for `operation`, with the socket's network and addresses.
    func waitError(_ code: NetError.Code, operation: String) -> NetError
}

/// The one waiting primitive: parks a task until one direction of one registration is ready,
/// its deadline passes, the socket closes or the task is cancelled, whichever comes first,
/// and resumes it exactly once. Its deadline timer is its own (it is the ``TimerTarget``).
///
/// Go semantics for the deadline: a deadline in the past fails the next wait at once
/// (``checkDeadline()``), and moving it while a task waits re-arms the wait
/// (``applyDeadline(_:)``). Pushing the deadline forward is a store (``deadline``): a timer
/// already due earlier re-arms itself for the moved deadline when it fires, so a deadline
/// pushed on every read costs no timer work.
///
/// Reactor thread only; O(1) everywhere. A wait allocates nothing unless it installs a
/// cancellation handler.
// @unchecked Sendable: every member is touched only on `reactor`'s thread; the cancellation
// handler (the one place that runs elsewhere) only hops to the reactor.
final class IOWaiter: TimerTarget, @unchecked Sendable {
    let reactor: Reactor
    /// The direction: its errors name "read" (true) or "write".
    private let reading: Bool
    private unowned let subject: any IOWaitSubject

    // Reactor-thread state; unchecked exclusivity as explained in Reactor.swift.
    @exclusivity(unchecked) private var continuation: UnsafeContinuation<Void, any Error>?
    @exclusivity(unchecked) private var waitID: UInt64 = 0
    @exclusivity(unchecked) private var timer: TimerHandle?
    @exclusivity(unchecked) private var timerAt: UInt64 = .max
    /// The deadline in force (monotonic ns; `.max`: none). A plain store moves it without
    /// timer work (see the type's comment); ``applyDeadline(_:)`` also re-arms a pending wait.
    @exclusivity(unchecked) var deadline: UInt64 = .max

    /// A waiter for the read (`reading`) or write direction of `subject` (the owner's socket:
    /// the owner keeps both alive).
    init(reactor: Reactor, reading: Bool, subject: any IOWaitSubject) {
        self.reactor = reactor
        self.reading = reading
        self.subject = subject
    }

    private var operation: String { reading ? "read" : "write" }

    /// True while a task is parked.
    var isWaiting: Bool { continuation != nil }

    /// The timeout error of this direction.
    func timeoutError() -> NetError {
        subject.waitError(.timeout, operation: operation)
    }

    /// Throws `.timeout` when the deadline has passed (checked before every attempt).
    @inline(__always)
    func checkDeadline() throws(NetError) {
        if deadline != .max && deadline <= reactor.clockNanoseconds() { throw timeoutError() }
    }

    /// Sets the deadline; a pending wait fails now when it has passed, or is re-armed.
    func applyDeadline(_ newDeadline: UInt64) {
        deadline = newDeadline
        guard continuation != nil, newDeadline != .max else { return }
        if newDeadline <= reactor.clockNanoseconds() {
            continuation.take()?.resume(throwing: timeoutError())
        } else {
            armTimer()
        }
    }

    /// Clears the deadline and drops its timer at once (rather than letting it fire idle).
    func clearDeadline() {
        deadline = .max
        cancelTimer()
    }

    /// Parks the calling task until ``resumeReady()``, the deadline, ``fail(_:)`` or (when
    /// `cancellable`) the task's cancellation. Throws at once `CancellationError` when the task
    /// is cancelled, `closedError` when `isOpen` is false, `.timeout` when the deadline has
    /// passed, `.concurrentOperation` when another task waits already. The continuation
    /// inherits the caller's executor; a `cancellable` wait installs a cancellation handler
    /// (status-record locks and an allocation: only for tasks something else can cancel).
    @inline(__always)
    nonisolated(nonsending) func wait(isOpen: Bool, closedError: @autoclosure () -> NetError, cancellable: Bool) async throws {
        try Task.checkCancellation()
        guard isOpen else { throw closedError() }
        guard continuation == nil else {
            throw subject.waitError(.concurrentOperation, operation: operation)
        }
        if deadline != .max {
            try checkDeadline()
            armTimer()
        }
        waitID &+= 1
        if !cancellable {
            return try await _unsafeInheritExecutor_withUnsafeThrowingContinuation { (parked: UnsafeContinuation<Void, any Error>) in
                continuation = parked
            }
        }
        try await waitCancellably()
    }

    /// The wait with a cancellation handler. Out of line, so the common wait's frame stays small.
    @inline(never)
    private nonisolated(nonsending) func waitCancellably() async throws {
        let id = waitID
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (parked: UnsafeContinuation<Void, any Error>) in
                continuation = parked
            }
        } onCancel: {
            self.reactor.execute {
                // Off the reactor only after shutdown, which has resumed every waiter already.
                guard self.reactor.isCurrent else { return }
                self.cancel(id)
            }
        }
    }

    private func cancel(_ id: UInt64) {
        guard id == waitID, let parked = continuation else { return }
        continuation = nil
        parked.resume(throwing: CancellationError())
    }

    /// The direction turned ready: resumes the parked task, if any. True when one was parked.
    @inline(__always)
    @discardableResult
    func resumeReady() -> Bool {
        guard let parked = continuation else { return false }
        continuation = nil
        parked.resume()
        return true
    }

    /// The socket closed (or the reactor stopped): the parked task, if any, throws `error`, and
    /// the deadline timer (which holds this waiter) is dropped.
    func fail(_ error: @autoclosure () -> NetError) {
        cancelTimer()
        if let parked = continuation {
            continuation = nil
            parked.resume(throwing: error())
        }
    }

    /// Drops the deadline timer, if one is armed.
    func cancelTimer() {
        if let timer { reactor.cancelTimer(timer) }
        timer = nil
        timerAt = .max
    }

    // MARK: timer

    /// Ensures a timer fires no later than the deadline. A timer already due earlier is kept.
    private func armTimer() {
        if timer != nil && timerAt <= deadline { return }
        if let timer { reactor.cancelTimer(timer) }
        timerAt = deadline
        timer = reactor.scheduleTimer(atNanoseconds: deadline, .target(self, .primary))
    }

    /// The deadline timer fired: the parked task times out, or the timer re-arms for a
    /// deadline moved later meanwhile.
    func timerFired(_ tag: TimerTag) {
        timer = nil
        timerAt = .max
        guard continuation != nil, deadline != .max else { return }
        if deadline <= reactor.loopTime {
            continuation.take()?.resume(throwing: timeoutError())
        } else {
            armTimer()
        }
    }
}
