import Glibc

extension TCPConn: TimerTarget {
    /// Sets the read deadline (Go's `SetReadDeadline`): a pending or later read throws
    /// ``NetError`` with code `.timeout` once it passes, a deadline already past makes the next
    /// read fail at once, and moving or clearing it (nil) re-arms a pending read. The connection
    /// stays usable after a timeout. Callable from any thread (applied on the reactor, in order
    /// with the caller's later calls). O(1).
    public func setReadDeadline(_ deadline: Deadline?) {
        onReactor { $0.setAbsoluteReadDeadline(deadline?.nanoseconds ?? .max) }
    }

    /// Sets the write deadline; the same rules as ``setReadDeadline(_:)`` for writes.
    public func setWriteDeadline(_ deadline: Deadline?) {
        onReactor { $0.applyWriteDeadline(deadline?.nanoseconds ?? .max) }
    }

    /// Sets both deadlines.
    public func setDeadline(_ deadline: Deadline?) {
        onReactor { conn in
            conn.setAbsoluteReadDeadline(deadline?.nanoseconds ?? .max)
            conn.applyWriteDeadline(deadline?.nanoseconds ?? .max)
        }
    }

    /// An idle timeout: after every read or write the read deadline moves to `timeout` from
    /// then (a store, no timer work), so a read waiting on a quiet peer throws `.timeout` once
    /// the connection has been idle that long. It combines with ``setReadDeadline(_:)``: the
    /// earlier of the two applies. nil turns it off.
    public func setIdleTimeout(_ timeout: Duration?) {
        let nanoseconds = timeout?.positiveNanoseconds ?? 0
        onReactor { conn in
            conn.idleTimeoutNanoseconds = nanoseconds
            conn.applyReadDeadline(conn.effectiveReadDeadline(idleFrom: conn.reactor.clockNanoseconds()))
        }
    }

    /// The read deadline in force: the absolute one, or the idle one if that comes first.
    func effectiveReadDeadline(idleFrom activity: UInt64) -> UInt64 {
        guard idleTimeoutNanoseconds != 0 else { return absoluteReadDeadline }
        return min(absoluteReadDeadline, activity &+ idleTimeoutNanoseconds)
    }

    /// After a read or write with an idle timeout on: the idle deadline moves (a store).
    @inline(__always)
    func noteActivity() {
        readDeadline = min(absoluteReadDeadline, reactor.loopTime &+ idleTimeoutNanoseconds)
    }

    func setAbsoluteReadDeadline(_ deadline: UInt64) {
        absoluteReadDeadline = deadline
        applyReadDeadline(effectiveReadDeadline(idleFrom: max(socket.lastActivity, reactor.loopTime)))
    }

    private func onReactor(_ body: @escaping @Sendable (TCPConn) -> Void) {
        if reactor.isCurrent {
            body(self)
        } else {
            reactor.execute { body(self) }
        }
    }

    // MARK: reactor thread

    func applyReadDeadline(_ deadline: UInt64) {
        readDeadline = deadline
        guard readWaiter != nil, deadline != .max else { return }
        if deadline <= reactor.clockNanoseconds() {
            readWaiter.take()?.resume(throwing: timeoutError("read"))
        } else {
            armReadTimer()
        }
    }

    func applyWriteDeadline(_ deadline: UInt64) {
        writeDeadline = deadline
        guard writeWaiter != nil, deadline != .max else { return }
        if deadline <= reactor.clockNanoseconds() {
            writeWaiter.take()?.resume(throwing: timeoutError("write"))
        } else {
            armWriteTimer()
        }
    }

    /// Throws `.timeout` when the read deadline has passed (checked before every read).
    @inline(__always)
    func checkReadDeadline() throws(NetError) {
        if readDeadline != .max && readDeadline <= reactor.clockNanoseconds() { throw timeoutError("read") }
    }

    @inline(__always)
    func checkWriteDeadline() throws(NetError) {
        if writeDeadline != .max && writeDeadline <= reactor.clockNanoseconds() { throw timeoutError("write") }
    }

    /// Ensures a timer fires no later than the read deadline. A timer already due earlier is
    /// kept: when it fires it re-arms for the moved deadline (so pushing a deadline forward on
    /// every read costs no timer work).
    func armReadTimer() {
        if readTimer != nil && readTimerAt <= readDeadline { return }
        if let timer = readTimer { reactor.cancelTimer(timer) }
        readTimerAt = readDeadline
        readTimer = reactor.scheduleTimer(atNanoseconds: readDeadline, .target(self, .read))
    }

    func armWriteTimer() {
        if writeTimer != nil && writeTimerAt <= writeDeadline { return }
        if let timer = writeTimer { reactor.cancelTimer(timer) }
        writeTimerAt = writeDeadline
        writeTimer = reactor.scheduleTimer(atNanoseconds: writeDeadline, .target(self, .write))
    }

    /// A deadline timer fired (``TimerTarget``): `.read` or `.write`.
    func timerFired(_ tag: TimerTag) {
        if tag == .write { writeDeadlineTimerFired() } else { readDeadlineTimerFired() }
    }

    func readDeadlineTimerFired() {
        readTimer = nil
        readTimerAt = .max
        guard readWaiter != nil, readDeadline != .max else { return }
        if readDeadline <= reactor.loopTime {
            readWaiter.take()?.resume(throwing: timeoutError("read"))
        } else {
            armReadTimer()
        }
    }

    func writeDeadlineTimerFired() {
        writeTimer = nil
        writeTimerAt = .max
        guard writeWaiter != nil, writeDeadline != .max else { return }
        if writeDeadline <= reactor.loopTime {
            writeWaiter.take()?.resume(throwing: timeoutError("write"))
        } else {
            armWriteTimer()
        }
    }

    /// Before a read or write suspends: fail now if its deadline passed, else make sure a timer
    /// will wake it.
    func prepareToWait(reading: Bool) throws(NetError) {
        if reading {
            guard readDeadline != .max else { return }
            try checkReadDeadline()
            armReadTimer()
        } else {
            guard writeDeadline != .max else { return }
            try checkWriteDeadline()
            armWriteTimer()
        }
    }

    /// Clears the write deadline and drops its timer at once (rather than letting it fire idle).
    func clearWriteDeadline() {
        writeDeadline = .max
        if let timer = writeTimer { reactor.cancelTimer(timer) }
        writeTimer = nil
        writeTimerAt = .max
    }

    /// Cancels the deadline timers (they hold the connection) once it is closed.
    func cancelDeadlineTimers() {
        if let timer = readTimer { reactor.cancelTimer(timer) }
        if let timer = writeTimer { reactor.cancelTimer(timer) }
        readTimer = nil
        writeTimer = nil
    }

    func timeoutError(_ operation: String) -> NetError {
        NetError(.timeout, operation: operation, address: remoteAddress?.description)
    }
}
