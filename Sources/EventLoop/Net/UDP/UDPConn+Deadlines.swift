extension UDPConn {
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
        (reading ? readWait : writeWait).applyDeadline(deadline)
    }
}

extension DatagramSocket: IOWaitSubject {
    /// A datagram wait's error names `udp`, the bound address and, when connected, the peer.
    func waitError(_ code: NetError.Code, operation: String) -> NetError { netError(code, operation) }
}
