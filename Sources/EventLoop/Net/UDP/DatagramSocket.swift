import Glibc
import Synchronization

// @unchecked Sendable: the mutable state is touched on `reactor`'s thread only, and every
// public method that touches it checks so in release builds too (`checkConfined`); `close()`
// from elsewhere hops to that thread; the counters are atomics; the addresses and the reactor
// are `let`s set before the socket is shared.
/// A datagram socket (UDP over IPv4/IPv6, or Unix datagram) registered with one reactor: the
/// handler level of ``UDPConn``. Single and batched (`recvmmsg`/`sendmmsg`) receives, a send
/// queue flushed with `sendmmsg`, readiness tracking, counters and options.
///
/// Threading: receives, sends, ``flush()``, options, ``pendingWriteCount`` and handler calls
/// happen on the reactor thread only, and that is checked in every build: called from another
/// thread they trap with a message naming the type and the method (once the reactor has
/// stopped they fail with `.closed` instead). ``close()``, the addresses and ``stats`` may be
/// used from any thread.
public final class DatagramSocket: ReactorIOHandler, @unchecked Sendable {
    /// The reactor that owns this socket.
    public let reactor: Reactor
    /// The bound address (with the real port when port 0 was asked for), when known.
    public let localAddress: SocketAddress?
    /// The one peer of a connected socket; nil when unconnected.
    public let remoteAddress: SocketAddress?
    /// True when received datagrams carry their destination address (IP_PKTINFO/IPV6_RECVPKTINFO).
    public let packetInfo: Bool

    /// The descriptor, its token and interest with the reactor.
    @exclusivity(unchecked) var registration: Registration
    /// The descriptor (-1 once closed): the registration's.
    var fd: Int32 {
        @inline(__always) get { registration.fd }
        set { registration.fd = newValue }
    }
    var readReady = true
    var writeReady = true
    var readsThisEvent = 0
    var readRedispatchQueued = false
    var delegate: Delegate = .none
    /// Datagrams queued by ``send(_:to:from:)``: their bytes back to back in `outbound`.
    var queued: [Queued] = []
    var queuedHead = 0
    var outbound = ByteBuffer()

    enum Delegate {
        case none
        case handler(any DatagramHandler)
        case conn(UDPConn)
    }

    struct Queued {
        var offset: Int
        var length: Int
        var destination: SocketAddress?
        var source: SocketAddress?
    }

    let counters = Counters()

    /// The socket's counters, atomics written by the reactor thread only.
    final class Counters: Sendable {
        let datagramsRead = Atomic<UInt64>(0)
        let datagramsWritten = Atomic<UInt64>(0)
        let bytesRead = Atomic<UInt64>(0)
        let bytesWritten = Atomic<UInt64>(0)
        let receiveCalls = Atomic<UInt64>(0)
        let sendCalls = Atomic<UInt64>(0)
        let truncated = Atomic<UInt64>(0)
        let sendErrors = Atomic<UInt64>(0)

        @inline(__always)
        static func bump(_ counter: borrowing Atomic<UInt64>, by value: UInt64) {
            counter.store(counter.load(ordering: .relaxed) &+ value, ordering: .relaxed)
        }
    }

    /// Watched for reading only: on a datagram socket every sent datagram, once delivered,
    /// frees send-buffer space and so raises a new writable edge, a wake-up per send for
    /// nothing. Write readiness is watched only while a send waits (`watchWritable`).
    static let interest: Readiness = .readable
    static let interestWithWritable: Readiness = [.readable, .writable]
    /// True while write readiness is watched (a send would have blocked).
    var watchingWritable = false
    /// Batched sends merge runs of small datagrams to one destination (UDP_SEGMENT); off for
    /// Unix sockets, and turned off for good if the kernel refuses it.
    var segmentation: Bool
    /// How many datagrams the message a batched send last failed on carried.
    var lastRefusedDatagrams = 1

    /// Adopts a bound (and possibly connected) non-blocking datagram descriptor the reactor
    /// already counts, and registers it. On failure the fd is closed.
    init(adopting fd: Int32, reactor: Reactor, local: SocketAddress?, remote: SocketAddress?, packetInfo: Bool,
         segmentation: Bool = true) throws(NetError) {
        reactor.assertOnReactor()
        registration = Registration(unregistered: fd)
        self.reactor = reactor
        localAddress = local ?? Syscall.localAddress(fd)
        remoteAddress = remote
        self.packetInfo = packetInfo
        let family = (local ?? remote)?.family
        self.segmentation = segmentation && (family == AF_INET || family == AF_INET6)
        do {
            registration = try reactor.register(fd: fd, interest: DatagramSocket.interest, handler: self)
        } catch {
            reactor.closeSocket(fd)
            self.fd = -1
            throw error
        }
    }

    /// Makes `handler` receive this socket's callbacks (reactor thread only). The socket keeps
    /// a strong reference until it is closed.
    public func setHandler(_ handler: any DatagramHandler) {
        reactor.checkConfined("DatagramSocket", "setHandler")
        delegate = .handler(handler)
        if readReady { reactor.dispatchAgainNextPass(registration, .readable) }
    }

    /// True until ``close()`` (or a reactor shutdown) closed the descriptor.
    public var isOpen: Bool { fd >= 0 }

    /// The counters. Any thread.
    public var stats: DatagramStats {
        DatagramStats(datagramsRead: counters.datagramsRead.load(ordering: .relaxed),
                      datagramsWritten: counters.datagramsWritten.load(ordering: .relaxed),
                      bytesRead: counters.bytesRead.load(ordering: .relaxed),
                      bytesWritten: counters.bytesWritten.load(ordering: .relaxed),
                      receiveCalls: counters.receiveCalls.load(ordering: .relaxed),
                      sendCalls: counters.sendCalls.load(ordering: .relaxed),
                      truncated: counters.truncated.load(ordering: .relaxed),
                      sendErrors: counters.sendErrors.load(ordering: .relaxed))
    }

    /// Datagrams queued by ``send(_:to:from:)`` and not yet sent. Reactor thread only (checked).
    public var pendingWriteCount: Int {
        reactor.checkConfined("DatagramSocket", "pendingWriteCount")
        return queuedCount
    }

    /// ``pendingWriteCount`` without the thread check, for the socket's own use.
    var queuedCount: Int { queued.count - queuedHead }

    var localPort: UInt16? { localAddress?.port }

    // MARK: events

    func handleEvents(_ events: Readiness) {
        if !events.isDisjoint(with: [.error, .hangUp]) {
            // A pending error (an ICMP port unreachable on a connected socket): the next
            // receive or send reports it.
            readReady = true
            writeReady = true
        }
        if events.contains(.readable) { readReady = true }
        if events.contains(.writable) { writeReady = true }
        readsThisEvent = 0
        if writeReady && queuedCount > 0 { flushFromEvent() }
        guard fd >= 0 else { return }
        if watchingWritable && writeReady && queuedCount == 0 { watchWritable(false) }
        switch delegate {
        case .none: break
        case .conn(let conn):
            conn.socketReady(readable: readReady, writable: writeReady)
        case .handler(let handler):
            if readReady {
                readRedispatchQueued = false
                handler.readable(self)
            }
        }
    }

    func reactorStopped() {
        closeNow(error: netError(.reactorStopped, "close"))
    }

    // MARK: receiving

    /// True when the per-event budget is spent (a redispatch is then queued).
    private func budgetSpent() -> Bool {
        if readsThisEvent >= Reactor.maxReadsPerEvent {
            if !readRedispatchQueued {
                readRedispatchQueued = true
                reactor.dispatchAgainNextPass(registration, .readable)
            }
            return true
        }
        readsThisEvent += 1
        return false
    }

    /// Receives one datagram into `buffer`: `.processed` with its size, sender and destination
    /// (a truncated datagram says so), or `.wouldBlock`. Reactor thread only; bounded per readiness event (see
    /// ``DatagramHandler``). Throws ``NetError`` (`read`, the address, the errno: ECONNREFUSED
    /// after an ICMP port unreachable on a connected socket) or `.closed`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(NetError) -> IOResult<DatagramHeader> {
        reactor.checkConfined("DatagramSocket", "receive")
        guard fd >= 0 else { throw netError(.closed, "read") }
        if budgetSpent() { return .wouldBlock }
        return try receiveNow(into: buffer)
    }

    /// One `recvmsg` with readiness tracking and no budget (the async level bounds itself).
    func receiveNow(into buffer: UnsafeMutableRawBufferPointer) throws(NetError) -> IOResult<DatagramHeader> {
        guard fd >= 0 else { throw netError(.closed, "read") }
        reactor.assertOnReactor()
        guard readReady else { return .wouldBlock }
        let outcome: IOResult<Syscall.ReceivedMessage>
        if packetInfo {
            outcome = try withUnsafeTemporaryAllocation(byteCount: 64, alignment: 16) { control throws(NetError) in
                try Syscall.receive(fd, into: buffer, control: control, localPort: localPort, at: endpoints)
            }
        } else {
            outcome = try Syscall.receive(fd, into: buffer, control: nil, localPort: localPort, at: endpoints)
        }
        guard case .processed(let message) = outcome else {
            readReady = false
            return .wouldBlock
        }
        let stored = min(message.length, buffer.count)
        noteReceived(calls: 1, datagrams: 1, bytes: stored, truncated: message.length > stored ? 1 : 0)
        return .processed(DatagramHeader(count: stored, wireLength: message.length, sender: message.sender,
                                         destination: message.destination))
    }

    /// Receives up to `maxCount` datagrams (at most 64 per call) with one
    /// `recvmmsg` into the reactor's receive memory and calls `body` for each, in order: the
    /// views are valid only inside `body`. Returns `.processed(n)` with n ≥ 1 or `.wouldBlock`.
    /// Each slot holds 64 KiB, so only Unix datagrams can be truncated here (and say so).
    /// Reactor thread only; one call counts once against the per-event budget. Throws
    /// ``NetError`` as ``receive(into:)``, or what `body` throws.
    public func receiveBatch(maxCount: Int = 32, _ body: (ReceivedDatagram) throws -> Void) throws -> IOResult<Int> {
        reactor.checkConfined("DatagramSocket", "receiveBatch")
        guard fd >= 0 else { throw netError(.closed, "read") }
        if budgetSpent() { return .wouldBlock }
        let result = try receiveBatchNow(maxCount: maxCount)
        if case .processed(let count) = result {
            let vector = reactor.receiveVector
            for index in 0..<count {
                let message = vector.received(index, localPort: localPort)
                try body(ReceivedDatagram(bytes: message.bytes, wireLength: message.length, sender: message.sender,
                                          destination: message.destination))
            }
        }
        return result
    }

    /// One `recvmmsg` into the reactor's receive vector; the caller reads the messages out
    /// before the next batch receive on this reactor.
    func receiveBatchNow(maxCount: Int) throws(NetError) -> IOResult<Int> {
        guard fd >= 0 else { throw netError(.closed, "read") }
        reactor.assertOnReactor()
        guard readReady else { return .wouldBlock }
        let count = max(1, min(maxCount, MessageVector.capacity))
        let vector = reactor.receiveVector
        for index in 0..<count { vector.prepareReceive(index, control: packetInfo) }
        guard case .processed(let received) = try Syscall.receiveBatch(fd, vector, count: count, at: endpoints) else {
            readReady = false
            return .wouldBlock
        }
        // Fewer than asked: the queue is empty, the next datagram brings a new edge.
        if received < count { readReady = false }
        var bytes = 0
        var truncated = 0
        for index in 0..<received {
            let length = Int(vector.headers[index].msg_len)
            bytes += min(length, MessageVector.slotSize)
            if length > MessageVector.slotSize { truncated += 1 }
        }
        noteReceived(calls: 1, datagrams: received, bytes: bytes, truncated: truncated)
        return .processed(received)
    }

    @inline(__always)
    private func noteReceived(calls: Int, datagrams: Int, bytes: Int, truncated: Int) {
        Counters.bump(counters.receiveCalls, by: UInt64(calls))
        Counters.bump(counters.datagramsRead, by: UInt64(datagrams))
        Counters.bump(counters.bytesRead, by: UInt64(bytes))
        if truncated > 0 { Counters.bump(counters.truncated, by: UInt64(truncated)) }
    }

    // MARK: closing

    /// Closes the socket: pending calls fail with `.closed`, queued datagrams are dropped, the
    /// handler's ``DatagramHandler/closed(_:error:)`` runs on the reactor thread. Idempotent;
    /// callable from any thread (from another thread the close happens shortly after).
    public func close() {
        if reactor.isCurrent {
            closeNow(error: nil)
        } else {
            reactor.execute { self.closeNow(error: nil) }
        }
    }

    func closeNow(error: NetError?) {
        guard fd >= 0 else { return }
        reactor.release(registration)
        reactor.closeSocket(fd)
        fd = -1
        queued.removeAll()
        queuedHead = 0
        if !reactor.bufferPool.recycle(&outbound) { outbound = ByteBuffer() }
        if ownsPath, let path = localAddress?.path { Syscall.unlink(path) }
        let previous = delegate
        delegate = .none
        switch previous {
        case .none: break
        case .handler(let handler): handler.closed(self, error: error)
        case .conn(let conn): conn.socketClosed(error: error)
        }
    }

    /// True when this socket bound its Unix path itself (and so removes it on close).
    var ownsPath = false
}
