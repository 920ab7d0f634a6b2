/// One direction of an ``IOWaiter``: what a connection's `readWait` and `writeWait` are.
/// A view made on each use (two words, no allocation); every call forwards to the waiter.
/// Reactor thread only, like the waiter.
struct IOWait {
    // unowned(unsafe): a view lives only for the call it is made for, and is made only by
    // the waiter's owner (a connection), which holds the waiter strongly for its whole life;
    // a strong reference would cost a retain and a release per read.
    unowned(unsafe) let waiter: IOWaiter
    let direction: IODirection

    @inline(__always)
    init(_ waiter: IOWaiter, _ direction: IODirection) {
        self.waiter = waiter
        self.direction = direction
    }

    /// True while a task is parked.
    var isWaiting: Bool { waiter.isWaiting(direction) }

    /// The deadline in force (monotonic ns; `.max`: none). Setting it is a store: no timer work
    /// (see ``IOWaiter``); ``applyDeadline(_:)`` also re-arms a pending wait.
    var deadline: UInt64 {
        @inline(__always) get { waiter.deadline(direction) }
        @inline(__always) nonmutating set { waiter.storeDeadline(newValue, direction) }
    }

    /// See ``IOWaiter/checkDeadline(_:)``.
    @inline(__always)
    func checkDeadline() throws(NetError) { try waiter.checkDeadline(direction) }

    /// See ``IOWaiter/applyDeadline(_:_:)``.
    func applyDeadline(_ deadline: UInt64) { waiter.applyDeadline(deadline, direction) }

    /// See ``IOWaiter/clearDeadline(_:)``.
    func clearDeadline() { waiter.clearDeadline(direction) }

    /// See ``IOWaiter/timeoutError(_:)``.
    func timeoutError() -> NetError { waiter.timeoutError(direction) }

    /// See ``IOWaiter/wait(_:isOpen:closedError:cancellable:)``.
    @inline(__always)
    nonisolated(nonsending) func wait(isOpen: Bool, closedError: @autoclosure () -> NetError, cancellable: Bool) async throws {
        try await waiter.wait(direction, isOpen: isOpen, closedError: closedError(), cancellable: cancellable)
    }

    /// See ``IOWaiter/resumeReady(_:)``.
    @inline(__always)
    @discardableResult
    func resumeReady() -> Bool { waiter.resumeReady(direction) }

    /// See ``IOWaiter/fail(_:_:)``.
    func fail(_ error: @autoclosure () -> NetError) { waiter.fail(direction, error()) }

    /// See ``IOWaiter/cancelTimer(_:)``.
    func cancelTimer() { waiter.cancelTimer(direction) }
}
