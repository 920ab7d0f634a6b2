import Glibc

// @unchecked Sendable: the mutable state is touched only on `reactor`'s thread: every entry
// point checks `reactor.isCurrent` and hops there (or fails) before touching it.
/// A stream connection (TCP or Unix) for async/await, built on a ``StreamSocket``.
///
/// Its state lives on its reactor's thread. Calls from a task that runs on that reactor (every
/// task started by ``Listener/serve(_:)``, or with `Task(executorPreference: conn.reactor)`)
/// take no lock and hop no thread; calls from elsewhere hop to the reactor first.
/// See ``Conn`` for the error and concurrency rules.
public final class TCPConn: Conn, @unchecked Sendable {
    /// The handler-level socket underneath (for options and counters).
    public let socket: StreamSocket
    /// The reactor this connection belongs to.
    public var reactor: Reactor { socket.reactor }
    /// This end's address.
    public var localAddress: SocketAddress? { socket.localAddress }
    /// The peer's address.
    public var remoteAddress: SocketAddress? { socket.remoteAddress }

    // Reactor-thread state; unchecked exclusivity as explained in Reactor.swift.
    /// Where reads and writes wait (one object for both directions, with their deadlines).
    let waiter: IOWaiter
    /// Where a read waits for data (with the read deadline, idle timeout included).
    var readWait: IOWait { @inline(__always) get { IOWait(waiter, .read) } }
    /// Where a write (or a connect) waits for room (with the write deadline).
    var writeWait: IOWait { @inline(__always) get { IOWait(waiter, .write) } }
    @exclusivity(unchecked) var readBusy = false
    @exclusivity(unchecked) var writeBusy = false
    /// The task ``Listener/serve(_:)`` started for this connection, while its handler runs.
    /// Nothing holds a handle to that task, so nothing else can cancel it: its waits check for
    /// cancellation before suspending (a task can still cancel itself) but install no
    /// cancellation handler, which would cost status-record locks and executor switches per
    /// wait. The same holds for the serving task of any other connection of this reactor (a
    /// proxy's client task dialling and relaying to its upstream): see
    /// ``Reactor/servingTasks``. Waits from any other task (a child the handler started, a
    /// task of the user's own) install one.
    @exclusivity(unchecked) var servingTask: UnsafeCurrentTask?
    @exclusivity(unchecked) var closeWriteAfterWrite = false
    /// Why the socket closed, when not by a plain close (a reactor stop, a failed read). Boxed:
    /// the code is several words, which every connection object would carry inline; a box costs
    /// one word, and one allocation only when a connection closes on an error.
    var closeReason: NetError.Code? {
        get { closeReasonBox?.code }
        set { closeReasonBox = newValue.map(CloseReasonBox.init) }
    }
    private var closeReasonBox: CloseReasonBox?
    @exclusivity(unchecked) var consecutiveReads = 0
    @exclusivity(unchecked) var idleTimeoutNanoseconds: UInt64 = 0
    /// The read deadline set with `setReadDeadline` (the effective one may be earlier: idle).
    @exclusivity(unchecked) var absoluteReadDeadline: UInt64 = .max
    /// Size class of the pooled chunk the next read gets (adapts to the traffic).
    @exclusivity(unchecked) var readSizeClass = 0
    @exclusivity(unchecked) var smallReads = 0
    /// A copy reading from this connection (``copy(to:splice:)``, relays), if one runs.
    var readPump: CopyPump?
    /// A copy writing to this connection, if one runs.
    var writePump: CopyPump?
    /// A connect without a task waiting for the handshake (``Dialer/dial(_:on:completion:)``).
    var connectAttempt: ConnectAttempt?
    /// A PROXY protocol header read in progress (``readProxyHeader(timeout:maximumLength:completion:)``).
    var headerReader: ProxyHeaderReader?

    /// Wraps a registered socket; the socket's events now go to this connection.
    init(socket: StreamSocket) {
        self.socket = socket
        waiter = IOWaiter(reactor: socket.reactor, subject: socket)
        socket.delegate = .conn(self)
    }

    /// Counters of this connection: bytes each way and the last activity (monotonic ns).
    public var stats: ConnStats {
        ConnStats(bytesRead: socket.bytesRead, bytesWritten: socket.bytesWritten, lastActivity: socket.lastActivity)
    }

    // MARK: reading

    // nonisolated(nonsending): runs on the caller's executor, so a task on this reactor enters
    // without an executor switch (each switch asks the runtime for the task's preferred
    // executor under a lock); callers elsewhere take the hop below.
    /// See ``Conn/read(into:)``. An empty `buffer` gets a pooled chunk once data has arrived
    /// and gives it back while the read waits. Throws `NetError` (`.timeout` past the read
    /// deadline, `.concurrentOperation`, `.closed`, errno) or `CancellationError`.
    public nonisolated(nonsending) func read(into buffer: inout ByteBuffer) async throws -> Int {
        guard reactor.isCurrent else { return try await readAfterHop(into: &buffer) }
        try beginRead()
        defer { readBusy = false }
        while true {
            if consecutiveReads >= Reactor.maxReadsPerEvent {
                // Fairness: a peer that always has data waits one pass like everyone else.
                consecutiveReads = 0
                await Task.yield()
            }
            if let count = try readIfReady(into: &buffer) { return count }
            try await waitForReadable()
        }
    }

    /// The slow path of ``read(into:)`` from another executor, kept out of line so that the
    /// common path's async frame stays small (it is part of every idle connection's memory).
    /// `@concurrent`: it must leave the caller's actor, so that the executor preference it sets
    /// decides where the read runs (in the caller's isolation the actor's executor would).
    @inline(never)
    @concurrent
    private func readAfterHop(into buffer: inout ByteBuffer) async throws -> Int {
        try failIfStopped("read")
        return try await withTaskExecutorPreference(reactor) { try await self.readOnPreferredExecutor(into: &buffer) }
    }

    /// `@concurrent` (not the caller's executor): entering it switches to the task's preferred
    /// executor, which ``readAfterHop(into:)`` has just made this reactor.
    @concurrent
    private func readOnPreferredExecutor(into buffer: inout ByteBuffer) async throws -> Int {
        guard reactor.isCurrent else { throw netError(.reactorStopped, "read") }
        return try await read(into: &buffer)
    }

    // Not inlined (nor is `readIfReady`): inlined, their locals would sit in `read`'s async
    // frame, which a parked connection keeps for as long as it waits.
    @inline(never)
    private func beginRead() throws(NetError) {
        try failIfStopped("read")
        precondition(reactor.isCurrent, "TCPConn state used off its reactor")
        guard !readBusy else { throw netError(.concurrentOperation, "read") }
        readBusy = true
    }

    /// One read attempt without suspending: the count (0 at end of stream), or nil when the
    /// socket has nothing (an empty buffer has then given its memory back).
    @inline(never)
    private func readIfReady(into buffer: inout ByteBuffer) throws(NetError) -> Int? {
        try readWait.checkDeadline()
        if socket.readReady {
            if buffer.writableBytes == 0 {
                makeRoom(in: &buffer)
            } else if buffer.readableBytes == 0 && buffer.capacity != BufferPool.sizeClasses[readSizeClass] {
                // A streaming connection never waits, so its empty buffer never goes back to
                // the pool: move it to the size class recent reads asked for.
                releaseMemory(of: &buffer)
                makeRoom(in: &buffer)
            }
            var outcome = IOResult<Int>.wouldBlock
            let socket = self.socket
            let space = buffer.writableBytes
            _ = try buffer.withUnsafeMutableWritableBytes { space throws(NetError) -> Int in
                outcome = try socket.readNow(into: space)
                if case .processed(let count) = outcome { return count }
                return 0
            }
            if case .processed(let count) = outcome {
                consecutiveReads += 1
                if count == 0 {
                    // End of stream: an empty buffer need not keep its chunk.
                    if buffer.readableBytes == 0 { releaseMemory(of: &buffer) }
                    return 0
                }
                if idleTimeoutNanoseconds != 0 { noteActivity() }
                adaptReadSize(read: count, space: space)
                return count
            }
        }
        // About to wait: an empty buffer gives its memory back, so an idle connection holds none.
        if buffer.readableBytes == 0 && buffer.capacity > 0 { releaseMemory(of: &buffer) }
        consecutiveReads = 0
        return nil
    }

    /// Gives `buffer` writable space: a pooled chunk sized by recent reads when it is empty,
    /// heap growth when it is accumulating.
    private func makeRoom(in buffer: inout ByteBuffer) {
        if buffer.readableBytes == 0 {
            buffer = reactor.bufferPool.acquire(minimumCapacity: BufferPool.sizeClasses[readSizeClass])
        } else {
            buffer.reserveCapacityDiscardingReadBytes(minimumWritableBytes: BufferPool.sizeClasses[readSizeClass])
        }
    }

    /// Returns an empty buffer's memory to the pool (or to the system) and leaves it empty.
    private func releaseMemory(of buffer: inout ByteBuffer) {
        if !reactor.bufferPool.recycle(&buffer) { buffer = ByteBuffer() }
    }

    /// Picks the size class of the next read's chunk: up when a read fills its space, down
    /// after several reads that use less than an eighth of it.
    @inline(__always)
    private func adaptReadSize(read count: Int, space: Int) {
        if count == space {
            smallReads = 0
            if readSizeClass < BufferPool.sizeClasses.count - 1 { readSizeClass += 1 }
        } else if count < space / 8 && readSizeClass > 0 {
            smallReads += 1
            if smallReads >= 8 {
                smallReads = 0
                readSizeClass -= 1
            }
        } else {
            smallReads = 0
        }
    }

    /// Parks the read until data, the read deadline, close or (for a task that something
    /// else can cancel) cancellation: see ``IOWaiter``.
    @inline(__always)
    private nonisolated(nonsending) func waitForReadable() async throws {
        try await readWait.wait(isOpen: socket.isOpen, closedError: closedError("read"), cancellable: !callerCannotBeCancelled)
    }

    /// True when the calling task is one that nothing else can cancel: ``servingTask``, or
    /// the serving task of another connection of this reactor. O(1): a comparison, then (for
    /// a connection that is not its task's own, such as a dialled one) a set lookup.
    @inline(__always)
    var callerCannotBeCancelled: Bool {
        withUnsafeCurrentTask { task in
            guard let task else { return false }
            if task == servingTask { return true }
            return !reactor.servingTasks.isEmpty && reactor.servingTasks.contains(task)
        }
    }

    /// Marks the calling task as the one serving this connection until ``endServing()``.
    /// Does nothing off the reactor thread (a task that first runs after its reactor stopped:
    /// its calls fail with `.reactorStopped` anyway).
    func beginServing() {
        guard reactor.isCurrent, let task = withUnsafeCurrentTask(body: { $0 }) else { return }
        servingTask = task
        reactor.servingTasks.insert(task)
    }

    /// Ends ``beginServing()``: the serving task is about to finish, and is forgotten before it
    /// does (so a later task at the same address is never taken for it). Off the reactor
    /// thread (the reactor stopped meanwhile) the reactor's set is left alone.
    func endServing() {
        guard reactor.isCurrent, let task = servingTask else { return }
        reactor.servingTasks.remove(task)
        servingTask = nil
    }

    // MARK: closing

    // nonisolated(nonsending): on the reactor it runs at once; elsewhere `submit` does the hop.
    /// See ``Conn/closeWrite()``: after a pending write finishes, shuts the write side.
    public nonisolated(nonsending) func closeWrite() async throws {
        if reactor.isCurrent { return try closeWriteOnReactor() }
        try failIfStopped("shutdown")
        try await reactor.submit { try self.closeWriteOnReactor() }
    }

    private func closeWriteOnReactor() throws {
        guard socket.isOpen else { throw closedError("shutdown") }
        if writeBusy {
            closeWriteAfterWrite = true
        } else {
            socket.closeWrite()
        }
    }

    /// See ``Conn/close()``: idempotent, from any thread; pending calls fail with `.closed`.
    public func close() {
        socket.close()
    }

    /// Closes with a reset (SO_LINGER 0), so the peer sees ECONNRESET rather than end of stream.
    public func abort() {
        socket.abort()
    }

    /// Sets a socket option on the reactor thread. Throws ``NetError``.
    public func setOption(_ option: SocketOption, _ value: Int32) async throws {
        let socket = self.socket
        try await reactor.submit { try socket.setOption(option, value) }
    }

    /// Reads a socket option on the reactor thread. Throws ``NetError``.
    public func option(_ option: SocketOption) async throws -> Int32 {
        let socket = self.socket
        return try await reactor.submit { try socket.option(option) }
    }

    // MARK: events from the socket (reactor thread)

    func socketReady(readable: Bool, writable: Bool) {
        if readable {
            if let pump = readPump {
                pump.step()
            } else if let reader = headerReader {
                reader.readable()
            } else {
                readWait.resumeReady()
            }
        }
        if writable {
            if let pump = writePump {
                pump.step()
            } else if !writeWait.resumeReady(), let attempt = connectAttempt {
                attempt.writable()
            }
        }
    }

    func socketClosed(error: NetError?) {
        closeReason = error?.code
        readWait.cancelTimer()
        writeWait.cancelTimer()
        readPump?.connectionClosed(self, error: error)
        headerReader?.connectionClosed()
        writePump?.connectionClosed(self, error: error)
        readWait.fail(closedError("read"))
        writeWait.fail(closedError("write"))
        // The attempt detaches itself.
        connectAttempt?.closed(closedError("connect"))
    }

    func closedError(_ operation: String) -> NetError {
        if let givenUp = socket.givenUp { return netError(givenUp.code, operation) }
        if let closeReason, closeReason != .closed {
            return netError(closeReason, operation)
        }
        return netError(.closed, operation)
    }

    func failIfStopped(_ operation: String) throws(NetError) {
        if reactor.hasStoppedUnderCaller {
            throw netError(.reactorStopped, operation)
        }
    }
}

/// A close reason kept out of line (see ``TCPConn``'s `closeReason`).
final class CloseReasonBox: Sendable {
    let code: NetError.Code
    init(_ code: NetError.Code) { self.code = code }
}
