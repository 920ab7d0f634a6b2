import EventLoop

// @unchecked Sendable: the mutable state (the engine, the busy flags) is touched only on the
// reactor thread: every entry point checks `reactor.isCurrent` and hops there first; `info`
// is written once, on that thread, before the connection is handed out.
/// A TLS connection for async/await: a `Conn` over a `TCPConn`, encrypting with OpenSSL.
///
/// OpenSSL reads and writes the socket directly (no copy besides the encryption) and its
/// WANT_READ / WANT_WRITE park the task on the TCP connection's own waiter, so deadlines,
/// close and cancellation behave as on `TCPConn` and its errors (`NetError`, same texts)
/// come through unchanged. TLS failures are ``TLSError`` values; a peer that closes the TCP
/// stream without `close_notify` makes ``read(into:)`` throw ``TLSError/Code/truncated``,
/// never return 0. An idle connection holds no record buffers (OpenSSL's are released
/// between records) and no read buffer.
///
/// Threading as `TCPConn`: calls from a task on the connection's reactor take no hop; calls
/// from elsewhere hop there. One read and one write may be pending at once.
public final class TLSConn: Conn, @unchecked Sendable {
    /// The TCP connection underneath (its reactor, options, counters).
    public let tcp: TCPConn
    /// The context this connection was made with.
    public let context: TLSContext
    let engine: TLSEngine
    var readBusy = false
    var writeBusy = false

    /// The reactor this connection belongs to.
    public var reactor: Reactor { tcp.reactor }
    /// This end's address.
    public var localAddress: SocketAddress? { tcp.localAddress }
    /// The peer's address.
    public var remoteAddress: SocketAddress? { tcp.remoteAddress }
    /// What the handshake settled: version, ALPN protocol, peer certificate subject, SNI name,
    /// resumption. Set before the connection is handed out; any thread.
    public var info: TLSConnectionInfo { engine.info }
    /// The ALPN protocol negotiated, or nil (the same as `info.negotiatedProtocol`).
    public var negotiatedProtocol: String? { engine.info.negotiatedProtocol }
    /// The subject of the peer's certificate (`/CN=client`), or nil when it sent none.
    public var peerCertificateSubject: String? { engine.info.peerCertificateSubject }

    init(tcp: TCPConn, context: TLSContext, engine: TLSEngine) {
        self.tcp = tcp
        self.context = context
        self.engine = engine
    }

    /// Runs the handshake of `role` (the context's) on `tcp`, bounded by the configuration's
    /// handshake timeout, and returns the connection. On failure `tcp` is closed (OpenSSL has
    /// sent an alert where the protocol allows one) and the error thrown: ``TLSError``, or
    /// `NetError` `.timeout` (operation `read` or `write`) when the timeout passed. `serverName`
    /// overrides the configuration's for a client. Runs on `tcp`'s reactor (hops there).
    public static func handshake(_ tcp: TCPConn, context: TLSContext, serverName: String? = nil) async throws -> TLSConn {
        try await withTaskExecutorPreference(tcp.reactor) {
            try await handshakeOnReactor(tcp, context: context, serverName: serverName ?? context.configuration.serverName)
        }
    }

    @concurrent
    private static func handshakeOnReactor(_ tcp: TCPConn, context: TLSContext, serverName: String?) async throws -> TLSConn {
        guard tcp.reactor.isCurrent else {
            tcp.close()
            throw NetError(.reactorStopped, operation: "handshake", network: .tcp, local: tcp.localAddress, remote: tcp.remoteAddress)
        }
        do {
            let engine = try TLSEngine(context: context, socket: tcp.socket, serverName: serverName)
            let conn = TLSConn(tcp: tcp, context: context, engine: engine)
            tcp.setDeadline(.after(context.configuration.handshakeTimeout))
            try await conn.drive { try engine.handshake() }
            tcp.setDeadline(nil)
            return conn
        } catch {
            tcp.close()
            throw error
        }
    }

    /// Repeats `step` until it is done, parking on the socket's readiness in between.
    /// Returns the step's count, or nil for `close_notify`.
    @discardableResult
    nonisolated(nonsending) func drive(_ step: () throws -> TLSProgress) async throws -> Int? {
        while true {
            switch try step() {
            case .done(let count): return count
            case .ended: return nil
            case .wantRead:
                try tcp.checkReadDeadline()
                try await tcp.waitUntilReadable()
            case .wantWrite:
                try tcp.checkWriteDeadline()
                try await tcp.waitUntilWritable()
            }
        }
    }

    /// A `NetError` of this connection (the texts `TCPConn` uses).
    func netError(_ code: NetError.Code, _ operation: String) -> NetError {
        NetError(code, operation: operation, network: localAddress?.path == nil ? .tcp : .unix,
                 local: localAddress, remote: remoteAddress)
    }

    // MARK: deadlines and closing

    /// See `TCPConn.setReadDeadline`: the same rules (Go semantics), for TLS reads.
    public func setReadDeadline(_ deadline: Deadline?) { tcp.setReadDeadline(deadline) }
    /// See `TCPConn.setWriteDeadline`: the same rules, for TLS writes.
    public func setWriteDeadline(_ deadline: Deadline?) { tcp.setWriteDeadline(deadline) }
    /// Sets both deadlines.
    public func setDeadline(_ deadline: Deadline?) { tcp.setDeadline(deadline) }

    /// See `Conn/closeWrite()`: sends `close_notify` (the peer's reads end cleanly), then
    /// shuts the TCP write side; reading goes on. Throws `NetError` or ``TLSError``.
    public func closeWrite() async throws {
        try await onReactor("shutdown") { conn in
            guard !conn.writeBusy else { throw conn.netError(.concurrentOperation, "shutdown") }
            conn.writeBusy = true
            defer { conn.writeBusy = false }
            try await conn.drive { try conn.engine.shutdown() }
            try await conn.tcp.closeWrite()
        }
    }

    /// See `Conn/close()`: sends `close_notify` when it can go out at once (no write
    /// pending), then closes the socket; pending calls fail with `.closed`. Idempotent; any thread.
    public func close() {
        if reactor.isCurrent {
            closeOnReactor()
        } else {
            reactor.execute { self.closeOnReactor() }
        }
    }

    private func closeOnReactor() {
        if engine.handshakeDone && !writeBusy && tcp.socket.isOpen { _ = try? engine.shutdown() }
        tcp.close()
    }

    /// Runs `body` on the reactor: at once from a task there, after a hop from elsewhere.
    nonisolated(nonsending) func onReactor<T: Sendable>(_ operation: String, _ body: @Sendable (TLSConn) async throws -> T) async throws -> T {
        if reactor.isCurrent { return try await body(self) }
        return try await hop(operation, body)
    }

    @concurrent
    private func hop<T: Sendable>(_ operation: String, _ body: @Sendable (TLSConn) async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(reactor) { try await self.onPreferredExecutor(operation, body) }
    }

    @concurrent
    private func onPreferredExecutor<T: Sendable>(_ operation: String, _ body: @Sendable (TLSConn) async throws -> T) async throws -> T {
        guard reactor.isCurrent else { throw netError(.reactorStopped, operation) }
        return try await body(self)
    }
}
