import EventLoop

// @unchecked Sendable: every member is touched on the socket's reactor thread only (the
// socket's callbacks, the handshake timer's body, and the methods, which check the thread
// through the socket's own confinement checks); only the timer's closure crosses a boundary.
/// TLS at the handler level: a `StreamHandler` on a `StreamSocket` that runs the handshake
/// and decrypts and encrypts records in the reactor's callbacks, handing plaintext to a
/// ``TLSStreamHandler``. No task, no continuation, no buffer per connection: records are
/// decrypted into a stack buffer and handed over; what the kernel does not take of the
/// encrypted output waits in the socket's pooled queue (``pendingWriteBytes``).
///
/// Serve with `listener.serveHandlers { socket in TLSStream(socket: socket, context: context, handler: MyHandler()) }`,
/// or dial and hand over: `conn.socket.setHandler(TLSStream(socket: conn.socket, context: client, handler: h))`.
/// The client handshake starts at the first callback. Reactor thread only.
public final class TLSStream: StreamHandler, @unchecked Sendable {
    /// The socket underneath.
    public let socket: StreamSocket
    /// The context of this stream.
    public let context: TLSContext
    /// The callbacks; kept until the stream closes.
    public private(set) var handler: (any TLSStreamHandler)?
    let engine: TLSEngine
    private var timer: ScheduledTimer?
    private var pendingError: (any Error)?
    /// The peer ended cleanly: close once our `close_notify` has been written.
    private var closeWhenFlushed = false
    /// True while reading is paused because too much output waits (``readBackPressureBytes``);
    /// the stream reads again once the queue has been written. Reactor thread only.
    public private(set) var isReadingPaused = false

    /// Back-pressure: while more than this many encrypted bytes wait in the send queue (the
    /// peer does not read what the handler sends), the stream stops reading and decrypting;
    /// it reads again once the queue has been written. So a peer that writes without
    /// reading holds at most this much plus one record's worth of output in memory. 0 pauses
    /// whenever anything is queued (a request/response protocol's answer is out before the
    /// next request is read). Default 64 KiB. Reactor thread only.
    public var readBackPressureBytes = 64 * 1024

    /// What the handshake settled (empty before ``TLSStreamHandler/handshakeCompleted(_:)``).
    public var info: TLSConnectionInfo { engine.info }

    /// A stream over `socket` (reactor thread) with `context`'s role; `serverName` overrides a
    /// client configuration's. The handshake timeout starts now. Throws ``TLSError`` when
    /// OpenSSL cannot make the connection state (out of memory).
    public init(socket: StreamSocket, context: TLSContext, serverName: String? = nil,
                handler: any TLSStreamHandler) throws {
        self.socket = socket
        self.context = context
        self.handler = handler
        engine = try TLSEngine(context: context, socket: socket, serverName: serverName ?? context.configuration.serverName)
        engine.queuesWrites = true
        timer = socket.reactor.schedule(after: context.configuration.handshakeTimeout) { [weak self] in
            self?.handshakeTimedOut()
        }
    }

    /// Bytes queued by ``send(_:)`` and not yet written (encrypted, with record overhead).
    public var pendingWriteBytes: Int { socket.pendingWriteBytes }

    /// Encrypts `bytes` and writes them, queueing what the kernel does not take now. Throws
    /// `NetError` (`.closed` before the handshake has completed or after a close,
    /// `.outputClosed`, errno) or ``TLSError``. Reactor thread only. O(bytes).
    public func send(_ bytes: UnsafeRawBufferPointer) throws {
        guard engine.handshakeDone, socket.isOpen else {
            throw NetError(.closed, operation: "write", network: .tcp, local: socket.localAddress, remote: socket.remoteAddress)
        }
        var offset = 0
        while offset < bytes.count {
            switch try engine.write(UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
            case .done(let count): offset += count
            case .ended, .wantRead, .wantWrite:
                // The queueing BIO never asks to retry; reaching here means a broken stream.
                throw NetError(.closed, operation: "write", network: .tcp, local: socket.localAddress, remote: socket.remoteAddress)
            }
        }
    }

    /// Sends `close_notify` and shuts the write side once the queue is written; reading goes on.
    public func closeWrite() {
        if engine.handshakeDone { _ = try? engine.shutdown() }
        socket.closeWrite()
    }

    /// Sends `close_notify` if the kernel takes it now and closes the socket (output still
    /// queued is dropped: use ``closeWrite()`` to flush first); ``TLSStreamHandler/closed(_:error:)``
    /// follows. Idempotent.
    public func close() {
        if engine.handshakeDone && socket.isOpen { _ = try? engine.shutdown() }
        socket.close()
    }

    // MARK: socket callbacks

    /// The socket may be read: drives the handshake, then decrypts and delivers.
    public func readable(_ socket: StreamSocket) {
        do {
            if !engine.handshakeDone {
                switch try engine.handshake() {
                case .done:
                    timer?.cancel()
                    timer = nil
                    handler?.handshakeCompleted(self)
                case .ended: return peerEnded()
                case .wantRead, .wantWrite: return
                }
            }
            try withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 16) { space in
                while socket.isOpen {
                    if socket.pendingWriteBytes > readBackPressureBytes {
                        isReadingPaused = true
                        return
                    }
                    switch try engine.read(into: space) {
                    case .done(let count): handler?.received(self, UnsafeRawBufferPointer(rebasing: space[..<count]))
                    case .ended: return peerEnded()
                    case .wantRead, .wantWrite: return
                    }
                }
            }
        } catch {
            finish(error)
        }
    }

    /// Every queued byte has been written.
    public func writable(_ socket: StreamSocket) {
        if closeWhenFlushed { return socket.close() }
        handler?.writable(self)
        if isReadingPaused && socket.isOpen {
            isReadingPaused = false
            // What the kernel and OpenSSL hold was not read while paused; edge-triggered
            // readiness will not report it again.
            readable(socket)
        }
    }

    /// The socket closed: the handler hears it once, with the first error seen.
    public func closed(_ socket: StreamSocket, error: NetError?) {
        timer?.cancel()
        timer = nil
        let handler = self.handler
        self.handler = nil
        handler?.closed(self, error: pendingError ?? error)
    }

    /// The peer's `close_notify`: the handler may answer (``TLSStreamHandler/inputEnded(_:)``),
    /// then ours follows and the socket closes once everything is written.
    private func peerEnded() {
        if engine.handshakeDone { handler?.inputEnded(self) }
        guard socket.isOpen else { return }
        if engine.handshakeDone { _ = try? engine.shutdown() }
        if socket.pendingWriteBytes == 0 {
            socket.close()
        } else {
            closeWhenFlushed = true
            socket.closeWrite()
        }
    }

    private func finish(_ error: (any Error)?) {
        if pendingError == nil { pendingError = error }
        socket.close()
    }

    private func handshakeTimedOut() {
        timer = nil
        guard !engine.handshakeDone, socket.isOpen else { return }
        finish(NetError(.timeout, operation: "handshake", network: .tcp, local: socket.localAddress, remote: socket.remoteAddress))
    }
}
