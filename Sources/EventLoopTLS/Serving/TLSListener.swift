import EventLoop

/// A TLS server on a `Listener`: ``accept()`` returns connections whose handshake has
/// completed. Each handshake runs in its own task on its connection's reactor, bounded by the
/// configuration's handshake timeout, so a slow or silent client never holds up the others.
///
/// A failed handshake (not TLS, an old version, no client certificate, the timeout) closes the
/// connection (OpenSSL sends an alert where the protocol allows one), releases its descriptor
/// and is reported to `onHandshakeError`: a ``TLSError`` or `NetError` naming the client's
/// address and the reason. Thread-safe.
public final class TLSListener: Sendable {
    /// The TCP listener underneath.
    public let listener: Listener
    /// The server context every connection uses.
    public let context: TLSContext
    private let ready = ReadyQueue<TLSConn>()
    /// Set by ``serve(_:)``: connections go straight to it from their handshake's task.
    private let direct = Locked<DirectHandler?>(nil)

    /// The bound address (port 0 resolved).
    public var address: SocketAddress { listener.address }

    /// Starts accepting on `listener` with `context` (a server context). `onHandshakeError`
    /// runs on the failing connection's reactor thread: keep it short.
    ///
    /// Accepted connections are taken on the reactor that accepted them (the listener's
    /// callback level) and their handshake runs in a task there: no thread hop between the
    /// accept, the handshake and (with ``serve(_:)``) the handler.
    public init(_ listener: Listener, context: TLSContext,
                onHandshakeError: @escaping @Sendable (any Error) -> Void = { _ in }) {
        precondition(context.configuration.role == .server, "TLSListener needs a server context")
        self.listener = listener
        self.context = context
        let (ready, direct) = (self.ready, self.direct)
        listener.serveConnections { tcp in
            Task(executorPreference: tcp.reactor) {
                let conn: TLSConn
                do {
                    conn = try await TLSConn.handshake(tcp, context: context)
                } catch {
                    return onHandshakeError(error)
                }
                if let handler = direct.withLock({ $0?.handler }), !ready.isFinished {
                    // A task of its own (started here, on the reactor: no hop): the handler's
                    // frames then start at the bottom of a fresh task's first allocator slab
                    // instead of on top of this one's.
                    Task(executorPreference: conn.reactor) {
                        await handler(conn)
                        conn.close()
                    }
                } else if !ready.push(conn) {
                    conn.close()
                }
            }
        }
        let address = listener.address
        Task {
            await listener.waitUntilClosed()
            ready.finish(NetError(.closed, operation: "accept", network: .tcp, local: address, remote: nil)).forEach { $0.close() }
        }
    }

    /// The next connection whose handshake has completed. Throws what the TCP listener's
    /// `accept` threw once it ended (`NetError` `.closed` after ``close()``), or
    /// `CancellationError`. Several tasks may wait at once.
    public func accept() async throws -> TLSConn {
        try await ready.next()
    }

    /// Serves every connection with `handler`, each in a task of its own on the connection's
    /// reactor, started there when its handshake completes; the connection is closed when
    /// `handler` returns. Returns once the listener is
    /// closed. Call it once; ``accept()`` then returns nothing more.
    public func serve(_ handler: @escaping @Sendable (TLSConn) async -> Void) async {
        direct.withLock { $0 = DirectHandler(handler: handler) }
        // Those that completed their handshake before the handler was set, then the end.
        while let conn = try? await accept() {
            Task(executorPreference: conn.reactor) {
                await handler(conn)
                conn.close()
            }
        }
    }

    /// Stops accepting: pending and later ``accept()`` calls throw `.closed`; connections
    /// still in their handshake are closed when it ends. Open connections stay. Idempotent.
    public func close() {
        listener.close()
    }
}

/// ``TLSListener/serve(_:)``'s handler, held by a class: stored in a generic container (the
/// lock's `Optional<closure>`), an async closure would be reabstracted, and the thunks' frames
/// would push every handler's frames past its task's first allocator slab (a slab allocated
/// and freed at each await).
private final class DirectHandler: Sendable {
    let handler: @Sendable (TLSConn) async -> Void

    init(handler: @escaping @Sendable (TLSConn) async -> Void) {
        self.handler = handler
    }
}
