import Glibc

/// Writing: the async writes of ``TCPConn`` (one or several buffers, on the reactor or after a
/// hop to it), and the wait for a dialled connection to finish connecting.
extension TCPConn {
    /// See ``Conn/write(_:)``: returns once every readable byte is in the kernel; suspends
    /// while the peer is slow. Throws `NetError` (`.timeout`, `.outputClosed`, errno) or
    /// `CancellationError`.
    public nonisolated(nonsending) func write(_ buffer: ByteBuffer) async throws {
        if reactor.isCurrent { return try await writeOnReactor(buffer) }
        try await writeAfterHop(buffer)
    }

    /// `@concurrent` for the reason given at ``readAfterHop(into:)``.
    @inline(never)
    @concurrent
    func writeAfterHop(_ buffer: ByteBuffer) async throws {
        try failIfStopped("write")
        try await withTaskExecutorPreference(reactor) { try await self.writeOnPreferredExecutor(buffer) }
    }

    /// See ``readOnPreferredExecutor(into:)``.
    @concurrent
    func writeOnPreferredExecutor(_ buffer: ByteBuffer) async throws {
        guard reactor.isCurrent else { throw netError(.reactorStopped, "write") }
        try await writeOnReactor(buffer)
    }

    // nonisolated(nonsending), as ``write(_:)``: on the reactor it writes without an executor
    // switch; from elsewhere it hops.
    /// See ``Conn/write(contentsOf:)``: gathering writes of up to 64 buffers per syscall.
    public nonisolated(nonsending) func write(contentsOf buffers: [ByteBuffer]) async throws {
        if reactor.isCurrent { return try await writeOnReactor(buffers) }
        try await writeAfterHop(buffers)
    }

    /// `@concurrent` for the reason given at ``readAfterHop(into:)``.
    @inline(never)
    @concurrent
    func writeAfterHop(_ buffers: [ByteBuffer]) async throws {
        try failIfStopped("write")
        try await withTaskExecutorPreference(reactor) { try await self.writeOnPreferredExecutor(buffers) }
    }

    /// See ``readOnPreferredExecutor(into:)``.
    @concurrent
    func writeOnPreferredExecutor(_ buffers: [ByteBuffer]) async throws {
        guard reactor.isCurrent else { throw netError(.reactorStopped, "write") }
        try await writeOnReactor(buffers)
    }

    /// One buffer: the hot path, non-generic so that it allocates nothing even unoptimised.
    @inline(__always)
    nonisolated(nonsending) func writeOnReactor(_ buffer: ByteBuffer) async throws {
        try beginWrite()
        defer { endWrite() }
        var offset = 0
        while try !writeSome(buffer, from: &offset) {
            try await waitForWritable()
        }
    }

    /// Writes from `offset` as far as the socket takes it; true when everything is written.
    func writeSome(_ buffer: ByteBuffer, from offset: inout Int) throws(NetError) -> Bool {
        let total = buffer.readableBytes
        let socket = self.socket
        while offset < total {
            let start = offset
            let outcome = try buffer.withUnsafeReadableBytes { bytes throws(NetError) in
                try socket.write(UnsafeRawBufferPointer(rebasing: bytes[start...]))
            }
            guard case .processed(let count) = outcome else { return false }
            offset += count
            if idleTimeoutNanoseconds != 0 { noteActivity() }
        }
        return true
    }

    func beginWrite() throws {
        try failIfStopped("write")
        precondition(reactor.isCurrent, "TCPConn state used off its reactor")
        guard !writeBusy else { throw netError(.concurrentOperation, "write") }
        // Checked before the write is marked busy: a write failing here never began, and must
        // not leave the connection looking busy to the next one.
        try writeWait.checkDeadline()
        writeBusy = true
    }

    func endWrite() {
        writeBusy = false
        if closeWriteAfterWrite {
            closeWriteAfterWrite = false
            socket.closeWrite()
        }
    }

    /// Several buffers: gathering writes (sendmsg with up to 64 iovecs per call). On the
    /// reactor only: `nonisolated(nonsending)` keeps it on the caller's (the reactor's) executor.
    nonisolated(nonsending) func writeOnReactor(_ buffers: [ByteBuffer]) async throws {
        try beginWrite()
        defer { endWrite() }
        var index = 0
        var offset = 0
        while index < buffers.count {
            if buffers[index].readableBytes <= offset {
                index += 1
                offset = 0
                continue
            }
            let socket = self.socket
            let outcome = try buffers.withUnsafeBufferPointer { all throws(NetError) in
                try socket.writeVectored(UnsafeBufferPointer(rebasing: all[index...]), skipping: offset)
            }
            switch outcome {
            case .processed(var count):
                count += offset
                while index < buffers.count, count >= buffers[index].readableBytes {
                    count -= buffers[index].readableBytes
                    index += 1
                }
                offset = count
                if idleTimeoutNanoseconds != 0 { noteActivity() }
            case .wouldBlock:
                try await waitForWritable()
            }
        }
    }

    /// Waits for a non-blocking connect to finish (the socket turns writable or errors); with a
    /// `timeout`, throws `.timeout` once it passes. The write deadline is clear again
    /// afterwards, whatever the outcome.
    nonisolated(nonsending) func waitForConnect(timeout: Duration? = nil) async throws {
        socket.writeReady = false
        guard let timeout else { return try await waitForWritable() }
        writeWait.deadline = reactor.clockNanoseconds() &+ timeout.positiveNanoseconds
        defer { writeWait.clearDeadline() }
        try await waitForWritable()
    }

    /// Parks the write until room, the write deadline, close or (for a task that something
    /// else can cancel) cancellation: see ``IOWaiter``.
    private nonisolated(nonsending) func waitForWritable() async throws {
        try await writeWait.wait(isOpen: socket.isOpen, closedError: closedError("write"), cancellable: !callerCannotBeCancelled)
    }
}
