import Glibc

// @unchecked Sendable: the mutable state is touched only on `reactor`'s thread: every entry
// point checks `reactor.isCurrent` and hops there (or fails) before touching it.
/// A datagram socket for async/await: UDP over IPv4 or IPv6 (bound, or connected to one
/// peer), or a Unix datagram socket, built on a ``DatagramSocket``. See ``PacketConn`` for the
/// rules; batches of datagrams go in one system call each way (`read(into:maxCount:)`,
/// `write(contentsOf:)`).
///
/// Its state lives on its reactor's thread. Calls from a task on that reactor take no lock
/// and hop no thread; calls from elsewhere hop to the reactor first. A connected socket
/// (``connect(to:from:on:options:)``) reads only its peer's datagrams, writes with plain
/// ``write(_:)-(ByteBuffer)``, and reports an ICMP port unreachable from the peer as ``NetError`` with
/// errno ECONNREFUSED (``NetError/isConnectionRefused``) on the next read or write; it stays
/// usable after that, as it does after a timeout.
public final class UDPConn: PacketConn, @unchecked Sendable {
    /// The handler-level socket underneath (for counters and the handler level).
    public let socket: DatagramSocket
    /// The reactor this socket belongs to.
    public var reactor: Reactor { socket.reactor }
    /// The bound address.
    public var localAddress: SocketAddress? { socket.localAddress }
    /// The peer of a connected socket; nil when unconnected.
    public var remoteAddress: SocketAddress? { socket.remoteAddress }
    /// Counters: datagrams, bytes and system calls each way. Any thread.
    public var stats: DatagramStats { socket.stats }

    /// Where reads and writes wait (one object for both directions, with their deadlines).
    let waiter: IOWaiter
    /// Where a read waits for a datagram (with the read deadline).
    var readWait: IOWait { @inline(__always) get { IOWait(waiter, .read) } }
    /// Where a write waits for room in the send buffer (with the write deadline).
    var writeWait: IOWait { @inline(__always) get { IOWait(waiter, .write) } }
    var readBusy = false
    var writeBusy = false
    var consecutiveReads = 0
    /// Why the socket closed, when not by a plain close (a reactor stop, a failed read).
    var closeReason: NetError.Code?

    init(socket: DatagramSocket) {
        self.socket = socket
        waiter = IOWaiter(reactor: socket.reactor, subject: socket)
        socket.delegate = .conn(self)
    }

    // MARK: opening

    /// Binds a socket to `address` (port 0 picks a free port: read it back from
    /// ``localAddress``; a Unix path is created, and removed again on close) on `reactor`.
    /// Throws ``NetError`` (`socket`, `setsockopt`, `bind`, the address, the errno); nothing
    /// stays open on failure.
    public static func bind(_ address: SocketAddress, on reactor: Reactor, options: DatagramOptions = DatagramOptions()) async throws -> UDPConn {
        let fd = try options.makeSocket(family: address.family, bindingTo: address)
        let local = address.family == AF_UNIX ? address : Syscall.localAddress(fd)
        return try await adopt(fd, on: reactor, local: local, remote: nil, packetInfo: options.packetInfo(for: address.family),
                               ownsPath: address.family == AF_UNIX, segmentation: options.segmentationOffload)
    }

    /// Binds a socket to `address` on a reactor of `group` (round-robin).
    public static func bind(_ address: SocketAddress, group: ReactorGroup, options: DatagramOptions = DatagramOptions()) async throws -> UDPConn {
        try await bind(address, on: group.next(), options: options)
    }

    /// A socket connected to `remote` (bound to `local` first when given, else to an
    /// ephemeral port): it reads only `remote`'s datagrams and writes with ``write(_:)-(ByteBuffer)``.
    /// Connecting a datagram socket sends nothing, so it cannot fail for an absent peer: that
    /// shows as ECONNREFUSED on a later call. Throws ``NetError`` (`socket`, `bind`, `connect`).
    public static func connect(to remote: SocketAddress, from local: SocketAddress? = nil, on reactor: Reactor,
                               options: DatagramOptions = DatagramOptions()) async throws -> UDPConn {
        let fd = try options.makeSocket(family: remote.family, bindingTo: local)
        do {
            try Syscall.connectDatagram(fd, to: remote, from: local)
        } catch {
            Syscall.close(fd)
            throw error
        }
        let bound = remote.family == AF_UNIX ? local : Syscall.localAddress(fd)
        return try await adopt(fd, on: reactor, local: bound, remote: remote, packetInfo: options.packetInfo(for: remote.family),
                               ownsPath: local?.family == AF_UNIX, segmentation: options.segmentationOffload)
    }

    /// Two connected Unix datagram sockets (`socketpair`), both on `reactor`. Throws ``NetError``.
    public static func pair(on reactor: Reactor) async throws -> (UDPConn, UDPConn) {
        let (first, second) = try Syscall.datagramPair()
        let one: UDPConn
        do {
            one = try await adopt(first, on: reactor, local: .unnamed, remote: .unnamed, packetInfo: false, ownsPath: false)
        } catch {
            Syscall.close(second)
            throw error
        }
        do {
            return (one, try await adopt(second, on: reactor, local: .unnamed, remote: .unnamed, packetInfo: false, ownsPath: false))
        } catch {
            one.close()
            throw error
        }
    }

    /// Registers `fd` with `reactor` (counted as the reactor's socket) and wraps it.
    static func adopt(_ fd: Int32, on reactor: Reactor, local: SocketAddress?, remote: SocketAddress?, packetInfo: Bool,
                      ownsPath: Bool, segmentation: Bool = true) async throws -> UDPConn {
        // Set once `fd` is handed to the socket, which closes it itself on failure.
        let handedOver = Locked<Bool>(false)
        do {
            return try await reactor.submit {
                handedOver.withLock { $0 = true }
                reactor.socketOpened()
                let socket = try DatagramSocket(adopting: fd, reactor: reactor, local: local, remote: remote, packetInfo: packetInfo,
                                                segmentation: segmentation)
                socket.ownsPath = ownsPath
                return UDPConn(socket: socket)
            }
        } catch let error as NetError where !handedOver.withLock({ $0 }) {
            Syscall.close(fd)
            throw error
        }
    }

    // MARK: reading

    /// See ``PacketConn/read(into:)``. An empty `buffer` gets a pooled chunk sized to the
    /// datagram. Throws ``NetError`` (`.timeout` past the read deadline, `.truncated`,
    /// `.concurrentOperation`, `.closed`, errno such as ECONNREFUSED) or `CancellationError`.
    public nonisolated(nonsending) func read(into buffer: inout ByteBuffer) async throws -> (count: Int, from: SocketAddress) {
        guard reactor.isCurrent else { return try await hop("read") { try await self.read(into: &buffer) } }
        try beginRead()
        defer { readBusy = false }
        while true {
            try await yieldIfBusy()
            if let result = try readIfReady(into: &buffer) { return result }
            try await waitForReadable()
        }
    }

    /// One receive attempt without suspending; nil when the socket has nothing.
    private func readIfReady(into buffer: inout ByteBuffer) throws(NetError) -> (count: Int, from: SocketAddress)? {
        try readWait.checkDeadline()
        guard socket.readReady else { return nil }
        let socket = self.socket
        if buffer.writableBytes == 0 {
            // Into the reactor's 64 KiB scratch, then into memory sized to the datagram.
            let scratch = reactor.scratch
            guard case .processed(let message) = try socket.receiveNow(into: scratch) else { return nil }
            consecutiveReads += 1
            if message.isTruncated { throw truncatedError(message) }
            if buffer.readableBytes == 0 && buffer.capacity == 0 && message.count > 0 {
                buffer = reactor.bufferPool.acquire(minimumCapacity: message.count)
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: scratch[..<message.count]))
            return (message.count, message.sender)
        }
        var outcome: IOResult<DatagramHeader> = .wouldBlock
        var failure: NetError?
        _ = buffer.withUnsafeMutableWritableBytes { space -> Int in
            do {
                outcome = try socket.receiveNow(into: space)
            } catch let error as NetError {
                failure = error
                return 0
            } catch {
                return 0
            }
            if case .processed(let message) = outcome, !message.isTruncated { return message.count }
            return 0
        }
        if let failure { throw failure }
        guard case .processed(let message) = outcome else { return nil }
        consecutiveReads += 1
        if message.isTruncated { throw truncatedError(message) }
        return (message.count, message.sender)
    }

    func truncatedError(_ message: DatagramHeader) -> NetError {
        socket.netError(.truncated(wireLength: message.wireLength), "read", peer: message.sender)
    }

    // MARK: writing

    /// See ``PacketConn/write(_:to:)``: one datagram of the readable bytes of `buffer` to
    /// `address` (on a connected socket it must be the peer, or nil through ``write(_:)-(ByteBuffer)``).
    /// Suspends while the socket's send buffer is full. Throws ``NetError`` (`.timeout`,
    /// EMSGSIZE when too large, ECONNREFUSED on a connected socket, `.closed`) or `CancellationError`.
    public nonisolated(nonsending) func write(_ buffer: ByteBuffer, to address: SocketAddress) async throws {
        try await write(Datagram(data: buffer, remoteAddress: address))
    }

    /// Sends `buffer` as one datagram to the peer of a connected socket.
    public nonisolated(nonsending) func write(_ buffer: ByteBuffer) async throws {
        try await write(Datagram(data: buffer))
    }

    /// Sends one datagram to its `remoteAddress` (nil: the connected peer), from its
    /// `localAddress` when set (packet info; answers a wildcard-bound socket's sender from the
    /// address it wrote to). Same errors as ``write(_:to:)``.
    public nonisolated(nonsending) func write(_ datagram: Datagram) async throws {
        guard reactor.isCurrent else { return try await hop("write") { try await self.write(datagram) } }
        try beginWrite()
        defer { writeBusy = false }
        let socket = self.socket
        while true {
            let outcome = try datagram.data.withUnsafeReadableBytes { bytes throws(NetError) in
                try socket.sendNowUnchecked(bytes, to: datagram.remoteAddress, from: datagram.localAddress)
            }
            if case .processed = outcome { return }
            try await waitForWritable()
        }
    }

    // MARK: closing

    /// See ``PacketConn/close()``: idempotent, from any thread; pending calls fail with
    /// `.closed`, and a Unix path this socket bound is removed.
    public func close() {
        socket.close()
    }

    // MARK: waiting (reactor thread)

    func beginRead() throws(NetError) {
        try failIfStopped("read")
        precondition(reactor.isCurrent, "UDPConn state used off its reactor")
        guard !readBusy else { throw socket.netError(.concurrentOperation, "read") }
        readBusy = true
    }

    func beginWrite() throws(NetError) {
        try failIfStopped("write")
        precondition(reactor.isCurrent, "UDPConn state used off its reactor")
        guard !writeBusy else { throw socket.netError(.concurrentOperation, "write") }
        // Checked before the write is marked busy: a write failing here never began, and must
        // not leave the socket looking busy to the next one.
        try writeWait.checkDeadline()
        writeBusy = true
    }

    /// Fairness: a socket that always has datagrams waits one pass like everyone else.
    nonisolated(nonsending) func yieldIfBusy() async throws {
        if consecutiveReads >= Reactor.maxReadsPerEvent {
            consecutiveReads = 0
            await Task.yield()
        }
    }

    nonisolated(nonsending) func waitForReadable() async throws {
        consecutiveReads = 0
        try await readWait.wait(isOpen: socket.isOpen, closedError: closedError("read"), cancellable: true)
    }

    nonisolated(nonsending) func waitForWritable() async throws {
        try await writeWait.wait(isOpen: socket.isOpen, closedError: closedError("write"), cancellable: true)
    }

    /// Runs `body` with this reactor as the task's executor (for calls from elsewhere).
    /// `@concurrent`: it must leave the caller's actor, so that the executor preference it sets
    /// decides where `body` runs (in the caller's isolation the actor's executor would).
    @inline(never)
    @concurrent
    func hop<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        try failIfStopped(operation)
        return try await withTaskExecutorPreference(reactor) {
            guard self.reactor.isCurrent else {
                throw self.socket.netError(.reactorStopped, operation)
            }
            return try await body()
        }
    }

    // MARK: events from the socket (reactor thread)

    func socketReady(readable: Bool, writable: Bool) {
        if readable { readWait.resumeReady() }
        if writable { writeWait.resumeReady() }
    }

    func socketClosed(error: NetError?) {
        closeReason = error?.code
        readWait.fail(closedError("read"))
        writeWait.fail(closedError("write"))
    }

    func closedError(_ operation: String) -> NetError {
        if let closeReason, closeReason != .closed {
            return socket.netError(closeReason, operation)
        }
        return socket.netError(.closed, operation)
    }

    private func failIfStopped(_ operation: String) throws(NetError) {
        if reactor.hasStoppedUnderCaller {
            throw socket.netError(.reactorStopped, operation)
        }
    }
}

extension NetError {
    /// True for ECONNREFUSED: on a connected datagram socket, the peer's host answered an
    /// earlier datagram with ICMP port unreachable (nothing listens there).
    public var isConnectionRefused: Bool { errno == ECONNREFUSED }
}
