import Glibc
import Synchronization

// @unchecked Sendable: the mutable state is touched on `reactor`'s thread only, and every
// public method that touches it checks so in release builds too (`checkConfined`); `close()`
// and `abort()` from elsewhere hop to that thread; the counters are atomics; the addresses
// and the reactor are `let`s set before the socket is shared.
/// A connected stream socket (TCP or Unix) registered with one reactor: non-blocking
/// reads and writes, readiness tracking, counters and options.
///
/// The handler level works with it directly through a ``StreamHandler``; ``TCPConn`` wraps
/// it for async/await.
///
/// Threading: reads, writes, ``closeWrite()``, options, ``pendingWriteBytes`` and handler
/// calls happen on the reactor thread only, and that is checked in every build: called from
/// another thread they trap with a message naming the type and the method (once the reactor
/// has stopped they fail with `.closed` instead). ``close()``, ``abort()``, the
/// addresses and the counters may be used from any thread.
public final class StreamSocket: ReactorIOHandler, @unchecked Sendable {
    /// The reactor that owns this socket.
    public let reactor: Reactor
    /// The address of this end, when known.
    public let localAddress: SocketAddress?
    /// The address of the peer, when known.
    public let remoteAddress: SocketAddress?

    /// The descriptor, its token and interest with the reactor.
    @exclusivity(unchecked) var registration: Registration
    /// The descriptor (-1 once closed): the registration's.
    var fd: Int32 {
        @inline(__always) get { registration.fd }
        set { registration.fd = newValue }
    }
    // Reactor-thread state; unchecked exclusivity as explained in Reactor.swift.
    @exclusivity(unchecked) var readReady = true
    @exclusivity(unchecked) var writeReady = true
    /// The peer shut down, reset or errored: readiness stays on until a read reports it.
    @exclusivity(unchecked) var hangup = false
    @exclusivity(unchecked) var readsThisEvent = 0
    @exclusivity(unchecked) var readRedispatchQueued = false
    @exclusivity(unchecked) var outputShutdown = false
    @exclusivity(unchecked) var closeWriteWhenFlushed = false
    @exclusivity(unchecked) var outbound = ByteBuffer()
    var delegate: Delegate = .none
    /// Set when a read or write found the connection given up by the kernel (keepalive or
    /// user timeout, see ``TCPOptions``): every later call reports this error with its own
    /// operation. Boxed, as ``TCPConn`` boxes its close reason: one word per socket.
    var givenUp: CloseReasonBox?

    enum Delegate {
        case none
        case handler(any StreamHandler)
        case conn(TCPConn)
    }

    let bytesReadCounter = Atomic<UInt64>(0)
    let bytesWrittenCounter = Atomic<UInt64>(0)
    let lastActivityCounter = Atomic<UInt64>(0)

    static let interest: Readiness = [.readable, .writable, .peerClosed]

    /// Adopts a connected non-blocking descriptor and registers it. On failure the fd is closed.
    init(adopting fd: Int32, reactor: Reactor, local: SocketAddress?, remote: SocketAddress?) throws(NetError) {
        reactor.assertOnReactor()
        registration = Registration(unregistered: fd)
        self.reactor = reactor
        localAddress = local ?? Syscall.localAddress(fd)
        remoteAddress = remote ?? Syscall.remoteAddress(fd)
        lastActivityCounter.store(reactor.loopTime, ordering: .relaxed)
        do {
            registration = try reactor.register(fd: fd, interest: StreamSocket.interest, handler: self)
        } catch {
            reactor.closeSocket(fd)
            self.fd = -1
            throw error
        }
    }

    /// Makes `handler` receive this socket's callbacks (reactor thread only). The socket keeps
    /// a strong reference until it is closed.
    public func setHandler(_ handler: any StreamHandler) {
        reactor.checkConfined("StreamSocket", "setHandler")
        delegate = .handler(handler)
        if readReady { reactor.dispatchAgainNextPass(registration, .readable) }
    }

    /// True until ``close()`` (or a reactor shutdown) closed the descriptor.
    public var isOpen: Bool { fd >= 0 }

    /// Bytes read from the socket so far.
    public var bytesRead: UInt64 { bytesReadCounter.load(ordering: .relaxed) }
    /// Bytes written to the socket so far.
    public var bytesWritten: UInt64 { bytesWrittenCounter.load(ordering: .relaxed) }
    /// Nanoseconds on the reactor's clock (``Reactor/now``: CLOCK_MONOTONIC unless the reactor
    /// was given a ``ReactorClock``) of the last read or write, at the loop's granularity. Any thread.
    public var lastActivity: UInt64 { lastActivityCounter.load(ordering: .relaxed) }

    /// Bytes queued by ``send(_:)`` and not yet written. Reactor thread only (checked).
    public var pendingWriteBytes: Int {
        reactor.checkConfined("StreamSocket", "pendingWriteBytes")
        return outbound.readableBytes
    }

    // MARK: events

    func handleEvents(_ events: Readiness) {
        if !events.isDisjoint(with: .closedOrFailed) {
            hangup = true
            readReady = true
            writeReady = true
        }
        if events.contains(.readable) {
            readReady = true
            // A queued re-dispatch (the read budget ran out) has arrived, whatever the delegate.
            readRedispatchQueued = false
        }
        readsThisEvent = 0
        if events.contains(.writable) { writeReady = true }
        if writeReady && outbound.readableBytes > 0 { flushOutbound() }
        guard fd >= 0 else { return }
        switch delegate {
        case .none: break
        case .conn(let conn):
            conn.socketReady(readable: readReady, writable: writeReady)
        case .handler(let handler):
            if readReady { handler.readable(self) }
        }
    }

    func reactorStopped() {
        closeNow(error: netError(.reactorStopped, "close"))
    }

    // MARK: reading

    /// Reads into `buffer` without blocking: `.processed(n)` with n > 0 bytes, `.processed(0)`
    /// at end of stream, or `.wouldBlock`. Reactor thread only; bounded per readiness event
    /// (see ``StreamHandler``). Throws ``NetError`` (`read tcp local->peer`, the errno).
    /// Called from another thread it traps (see the type's threading rules).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(NetError) -> IOResult<Int> {
        reactor.checkConfined("StreamSocket", "read")
        return try readWithinBudget(into: buffer)
    }

    /// ``read(into:)`` once the thread is checked.
    @inline(__always)
    private func readWithinBudget(into buffer: UnsafeMutableRawBufferPointer) throws(NetError) -> IOResult<Int> {
        guard fd >= 0 else { throw closedError("read") }
        if readsThisEvent >= Reactor.maxReadsPerEvent {
            if !readRedispatchQueued {
                readRedispatchQueued = true
                reactor.dispatchAgainNextPass(registration, .readable)
            }
            return .wouldBlock
        }
        readsThisEvent += 1
        return try readNow(into: buffer)
    }

    /// Reads into the reactor's shared scratch buffer (64 KiB) and passes the bytes to `body`,
    /// which must not keep the pointer. The handler-level fast path: no buffer per connection.
    /// Same results and budget as ``read(into:)``; rethrows what `body` throws.
    public func receive(_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> IOResult<Int> {
        reactor.checkConfined("StreamSocket", "receive")
        let scratch = reactor.scratch
        let result = try readWithinBudget(into: scratch)
        if case .processed(let count) = result, count > 0 {
            try body(UnsafeRawBufferPointer(rebasing: scratch[..<count]))
        }
        return result
    }

    /// One read syscall with readiness tracking and no budget (the async level bounds itself).
    @inline(__always)
    func readNow(into buffer: UnsafeMutableRawBufferPointer) throws(NetError) -> IOResult<Int> {
        guard fd >= 0 else { throw closedError("read") }
        reactor.assertOnReactor()
        guard readReady else { return .wouldBlock }
        let result: IOResult<Int>
        do {
            result = try Syscall.read(fd, into: buffer, at: endpoints)
        } catch {
            throw failed(error)
        }
        switch result {
        case .processed(let count):
            // End of stream after the other direction found the connection given up.
            if count == 0, let givenUp { throw netError(givenUp.code, "read") }
            if count > 0 {
                // A short read drained the socket: the next data brings a new edge. After a
                // hang-up no new edge comes, so keep reading until end of stream.
                if count < buffer.count && !hangup { readReady = false }
                bytesReadCounter.store(bytesReadCounter.load(ordering: .relaxed) &+ UInt64(count), ordering: .relaxed)
                lastActivityCounter.store(reactor.loopTime, ordering: .relaxed)
            }
        case .wouldBlock:
            readReady = false
        }
        return result
    }

    // MARK: writing

    /// Writes as much of `bytes` as the kernel takes now, without blocking or queueing:
    /// `.processed(n)` (n may be less than `bytes.count`) or `.wouldBlock`. Reactor thread only
    /// (called from another thread it traps).
    public func write(_ bytes: UnsafeRawBufferPointer) throws(NetError) -> IOResult<Int> {
        reactor.checkConfined("StreamSocket", "write")
        return try writeNow(bytes)
    }

    /// ``write(_:)`` once the thread is checked.
    @inline(__always)
    func writeNow(_ bytes: UnsafeRawBufferPointer) throws(NetError) -> IOResult<Int> {
        guard fd >= 0 else { throw closedError("write") }
        guard !outputShutdown else { throw netError(.outputClosed, "write") }
        guard writeReady else { return .wouldBlock }
        let result: IOResult<Int>
        do {
            result = try Syscall.send(fd, bytes, at: endpoints)
        } catch {
            throw failed(error)
        }
        noteWritten(result, requested: bytes.count)
        return result
    }

    /// A gathering write of several buffers' readable bytes in one syscall (up to 64 at once).
    func writeVectored(_ buffers: UnsafeBufferPointer<ByteBuffer>, skipping skip: Int) throws(NetError) -> IOResult<Int> {
        guard fd >= 0 else { throw closedError("write") }
        reactor.assertOnReactor()
        guard !outputShutdown else { throw netError(.outputClosed, "write") }
        guard writeReady else { return .wouldBlock }
        let count = min(buffers.count, 64)
        return try withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { vectors throws(NetError) in
            var remainingSkip = skip
            var used = 0
            var total = 0
            for buffer in buffers.prefix(count) {
                let length = buffer.readableBytes
                if remainingSkip >= length { remainingSkip -= length; continue }
                let base = buffer.storage.bytes + buffer.base + buffer.readerIndex + remainingSkip
                vectors[used] = iovec(iov_base: base, iov_len: length - remainingSkip)
                total += length - remainingSkip
                remainingSkip = 0
                used += 1
            }
            guard used > 0 else { return .processed(0) }
            let result: IOResult<Int>
            do throws(NetError) {
                result = try Syscall.sendv(fd, vectors.baseAddress!, count: used, at: endpoints)
            } catch {
                throw failed(error)
            }
            noteWritten(result, requested: total)
            return result
        }
    }

    @inline(__always)
    private func noteWritten(_ result: IOResult<Int>, requested: Int) {
        switch result {
        case .processed(let count):
            if count < requested { writeReady = false }
            bytesWrittenCounter.store(bytesWrittenCounter.load(ordering: .relaxed) &+ UInt64(count), ordering: .relaxed)
            lastActivityCounter.store(reactor.loopTime, ordering: .relaxed)
        case .wouldBlock:
            writeReady = false
        }
    }

    /// Writes `bytes` now as far as the kernel takes them and queues the rest, which is written
    /// when the socket becomes writable; ``StreamHandler/writable(_:)`` follows once the queue
    /// is empty. Check ``pendingWriteBytes`` to apply back-pressure. Reactor thread only (called
    /// from another thread it traps). Throws ``NetError`` when the socket is closed, its write side is shut, or the write fails
    /// (the socket is then closed and the handler told).
    public func send(_ bytes: UnsafeRawBufferPointer) throws(NetError) {
        reactor.checkConfined("StreamSocket", "send")
        var offset = 0
        if outbound.readableBytes == 0 {
            switch try writeNow(bytes) {
            case .processed(let count): offset = count
            case .wouldBlock: break
            }
        } else {
            guard fd >= 0 else { throw closedError("write") }
            guard !outputShutdown else { throw netError(.outputClosed, "write") }
        }
        if offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            if outbound.capacity == 0 { outbound = reactor.bufferPool.acquire(minimumCapacity: rest.count) }
            outbound.reserveCapacityDiscardingReadBytes(minimumWritableBytes: rest.count)
            outbound.writeBytes(rest)
        }
    }

    private func flushOutbound() {
        while outbound.readableBytes > 0 && writeReady && fd >= 0 {
            let result: IOResult<Int>
            do {
                result = try outbound.withUnsafeReadableBytes { bytes throws(NetError) in try Syscall.send(fd, bytes, at: endpoints) }
            } catch {
                closeNow(error: failed(error))
                return
            }
            noteWritten(result, requested: outbound.readableBytes)
            if case .processed(let count) = result { outbound.moveReaderIndex(forwardBy: count) }
        }
        guard outbound.readableBytes == 0, fd >= 0 else { return }
        if !reactor.bufferPool.recycle(&outbound) { outbound = ByteBuffer() }
        if closeWriteWhenFlushed { shutdownOutput() }
        if case .handler(let handler) = delegate { handler.writable(self) }
    }

    // MARK: closing

    /// Half-close: after every queued byte is written, shuts the write side (the peer reads
    /// end of stream); reading goes on. Idempotent. Reactor thread only (checked).
    public func closeWrite() {
        reactor.checkConfined("StreamSocket", "closeWrite")
        guard fd >= 0, !outputShutdown else { return }
        if outbound.readableBytes > 0 {
            closeWriteWhenFlushed = true
        } else {
            shutdownOutput()
        }
    }

    func shutdownOutput() {
        guard fd >= 0, !outputShutdown else { return }
        outputShutdown = true
        try? Syscall.shutdown(fd, how: Int32(SHUT_WR), at: endpoints)
    }

    /// Closes the socket: pending calls fail with `.closed`, the handler's ``StreamHandler/closed(_:error:)``
    /// runs on the reactor thread. Idempotent; callable from any thread (from another thread the
    /// close happens shortly after, on the reactor).
    public func close() {
        if reactor.isCurrent {
            closeNow(error: nil)
        } else {
            reactor.execute { self.closeNow(error: nil) }
        }
    }

    /// Closes with a reset (SO_LINGER 0): the peer sees ECONNRESET instead of end of stream.
    public func abort() {
        if reactor.isCurrent {
            abortNow()
        } else {
            reactor.execute { self.abortNow() }
        }
    }

    private func abortNow() {
        guard fd >= 0 else { return }
        try? Syscall.setLinger(fd, seconds: 0)
        closeNow(error: nil)
    }

    /// Notes a failed read or write. An errno that says the kernel gave the connection up
    /// (ETIMEDOUT from keepalive or the user timeout, or the ICMP error that preceded it) is
    /// kept, so the other direction reports it too (not the broken pipe or end of stream the
    /// kernel gives the second caller), and the socket is closed on the next turn of the loop
    /// (not inside the caller's read, whose buffer may still be in use) unless the caller
    /// closes it first. Returns the error to throw: a later error of a given-up connection
    /// becomes the given-up errno with its own operation.
    @inline(never)
    func failed(_ error: NetError) -> NetError {
        if let givenUp { return netError(givenUp.code, error.operation) }
        guard let errno = error.errno, Errno.meansGivenUp(errno) else { return error }
        givenUp = CloseReasonBox(error.code)
        reactor.execute { self.closeNow(error: error) }
        return error
    }

    /// The error of a call on a closed socket: the given-up errno when the connection was
    /// given up (see ``failed(_:)``), else `.closed`.
    func closedError(_ operation: String) -> NetError {
        netError(givenUp?.code ?? .closed, operation)
    }

    func closeNow(error: NetError?) {
        guard fd >= 0 else { return }
        // A close after a given-up read or write tells the handler why.
        let error = error ?? givenUp.map { netError($0.code, "read") }
        reactor.release(registration)
        reactor.closeSocket(fd)
        fd = -1
        if !reactor.bufferPool.recycle(&outbound) { outbound = ByteBuffer() }
        let previous = delegate
        delegate = .none
        switch previous {
        case .none: break
        case .handler(let handler): handler.closed(self, error: error)
        case .conn(let conn): conn.socketClosed(error: error)
        }
    }
}
