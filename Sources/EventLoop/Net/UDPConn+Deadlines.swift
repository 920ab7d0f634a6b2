extension UDPConn: TimerTarget {
    /// Sets the read deadline (Go's `SetReadDeadline`): a pending or later read throws
    /// ``NetError`` `.timeout` once it passes, a deadline already past fails the next read at
    /// once, and moving or clearing it (nil) re-arms a pending read. The socket stays usable.
    /// The deadline is read on the reactor's clock (``Reactor/now``: the system's monotonic
    /// clock, or the ``ReactorClock`` the reactor was made with), as TCP's are.
    /// Callable from any thread (applied on the reactor, in order with the caller's later
    /// calls). O(1).
    public func setReadDeadline(_ deadline: Deadline?) {
        onReactor { $0.applyDeadline(deadline?.nanoseconds ?? .max, reading: true) }
    }

    /// Sets the write deadline; the same rules as ``setReadDeadline(_:)`` for writes.
    public func setWriteDeadline(_ deadline: Deadline?) {
        onReactor { $0.applyDeadline(deadline?.nanoseconds ?? .max, reading: false) }
    }

    /// Sets both deadlines.
    public func setDeadline(_ deadline: Deadline?) {
        onReactor { conn in
            conn.applyDeadline(deadline?.nanoseconds ?? .max, reading: true)
            conn.applyDeadline(deadline?.nanoseconds ?? .max, reading: false)
        }
    }

    private func onReactor(_ body: @escaping @Sendable (UDPConn) -> Void) {
        if reactor.isCurrent {
            body(self)
        } else {
            reactor.execute { body(self) }
        }
    }

    // MARK: reactor thread

    func applyDeadline(_ deadline: UInt64, reading: Bool) {
        if reading { readDeadline = deadline } else { writeDeadline = deadline }
        let waiting = reading ? readWaiter != nil : writeWaiter != nil
        guard waiting, deadline != .max else { return }
        if deadline <= reactor.clockNanoseconds() {
            expire(reading: reading)
        } else {
            armTimer(reading: reading)
        }
    }

    /// Throws `.timeout` when the deadline has passed (checked before every read and write).
    @inline(__always)
    func checkDeadline(reading: Bool) throws(NetError) {
        let deadline = reading ? readDeadline : writeDeadline
        if deadline != .max && deadline <= reactor.clockNanoseconds() { throw timeoutError(reading: reading) }
    }

    /// Before a read or write suspends: fail now if its deadline passed, else make sure a timer
    /// will wake it.
    func prepareToWait(reading: Bool) throws(NetError) {
        guard (reading ? readDeadline : writeDeadline) != .max else { return }
        try checkDeadline(reading: reading)
        armTimer(reading: reading)
    }

    /// Ensures a timer fires no later than the deadline; one already due earlier is kept and
    /// re-arms itself for the moved deadline when it fires.
    private func armTimer(reading: Bool) {
        if reading {
            if readTimer != nil && readTimerAt <= readDeadline { return }
            if let timer = readTimer { reactor.cancelTimer(timer) }
            readTimerAt = readDeadline
            readTimer = reactor.scheduleTimer(atNanoseconds: readDeadline, .target(self, .read))
        } else {
            if writeTimer != nil && writeTimerAt <= writeDeadline { return }
            if let timer = writeTimer { reactor.cancelTimer(timer) }
            writeTimerAt = writeDeadline
            writeTimer = reactor.scheduleTimer(atNanoseconds: writeDeadline, .target(self, .write))
        }
    }

    /// A deadline timer fired (``TimerTarget``): `.read` or `.write`.
    func timerFired(_ tag: TimerTag) {
        deadlineTimerFired(reading: tag != .write)
    }

    func deadlineTimerFired(reading: Bool) {
        if reading {
            readTimer = nil
            readTimerAt = .max
        } else {
            writeTimer = nil
            writeTimerAt = .max
        }
        let deadline = reading ? readDeadline : writeDeadline
        let waiting = reading ? readWaiter != nil : writeWaiter != nil
        guard waiting, deadline != .max else { return }
        if deadline <= reactor.loopTime {
            expire(reading: reading)
        } else {
            armTimer(reading: reading)
        }
    }

    private func expire(reading: Bool) {
        if reading {
            readWaiter.take()?.resume(throwing: timeoutError(reading: true))
        } else {
            writeWaiter.take()?.resume(throwing: timeoutError(reading: false))
        }
    }

    /// Cancels the deadline timers (they hold the connection) once it is closed.
    func cancelDeadlineTimers() {
        if let timer = readTimer { reactor.cancelTimer(timer) }
        if let timer = writeTimer { reactor.cancelTimer(timer) }
        readTimer = nil
        writeTimer = nil
    }

    func timeoutError(reading: Bool) -> NetError {
        NetError(.timeout, operation: reading ? "read" : "write", address: socket.addressText)
    }
}
