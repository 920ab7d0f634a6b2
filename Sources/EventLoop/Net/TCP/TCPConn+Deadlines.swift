import Glibc

extension TCPConn {
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
        readWait.deadline = min(absoluteReadDeadline, reactor.loopTime &+ idleTimeoutNanoseconds)
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
        readWait.applyDeadline(deadline)
    }

    func applyWriteDeadline(_ deadline: UInt64) {
        writeWait.applyDeadline(deadline)
    }
}

extension StreamSocket: IOWaitSubject {
    /// A stream wait's error names `tcp` (or `unix`), this end and the peer.
    func waitError(_ code: NetError.Code, operation: String) -> NetError { netError(code, operation) }
}
