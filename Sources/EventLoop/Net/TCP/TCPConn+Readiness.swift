/// Readiness waits for a protocol layered on the connection's socket (TLS, for one): the layer
/// reads and writes through ``StreamSocket/read(into:)`` and ``StreamSocket/write(_:)`` on the
/// reactor thread, and when one answers `.wouldBlock` it parks here, on the same waiter that
/// ``read(into:)`` and ``write(_:)`` use, with the same deadlines, close and cancellation rules.
extension TCPConn {
    /// Parks the calling task until the socket may be read again (new data, end of stream or
    /// an error). Call it only after ``StreamSocket/read(into:)`` answered `.wouldBlock`: the
    /// socket is edge-triggered, so a wait without that answer may wait for data already there.
    /// Reactor thread only (a task on ``reactor``); throws ``NetError`` `.timeout` past the read
    /// deadline, `.closed` once closed, `.concurrentOperation` when another task waits for
    /// reading, or `CancellationError`. O(1); allocates nothing unless the task is cancellable.
    public nonisolated(nonsending) func waitUntilReadable() async throws {
        try failIfStopped("read")
        precondition(reactor.isCurrent, "TCPConn.waitUntilReadable called off its reactor")
        try await readWait.wait(isOpen: socket.isOpen, closedError: closedError("read"), cancellable: !callerCannotBeCancelled)
    }

    /// Parks the calling task until the socket may be written again. Call it only after
    /// ``StreamSocket/write(_:)`` answered `.wouldBlock` or wrote less than asked. The same
    /// rules as ``waitUntilReadable()``, with the write deadline.
    public nonisolated(nonsending) func waitUntilWritable() async throws {
        try failIfStopped("write")
        precondition(reactor.isCurrent, "TCPConn.waitUntilWritable called off its reactor")
        try await writeWait.wait(isOpen: socket.isOpen, closedError: closedError("write"), cancellable: !callerCannotBeCancelled)
    }

    /// Throws ``NetError`` `.timeout` when the read deadline has passed (what ``read(into:)``
    /// checks before every attempt). Reactor thread only. O(1).
    public func checkReadDeadline() throws(NetError) {
        try readWait.checkDeadline()
    }

    /// Throws ``NetError`` `.timeout` when the write deadline has passed. Reactor thread only. O(1).
    public func checkWriteDeadline() throws(NetError) {
        try writeWait.checkDeadline()
    }
}
