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

    /// The bound address (port 0 resolved).
    public var address: SocketAddress { listener.address }

    /// Starts accepting on `listener` with `context` (a server context). `onHandshakeError`
    /// runs on the failing connection's reactor thread: keep it short.
    public init(_ listener: Listener, context: TLSContext,
                onHandshakeError: @escaping @Sendable (any Error) -> Void = { _ in }) {
        precondition(context.configuration.role == .server, "TLSListener needs a server context")
        self.listener = listener
        self.context = context
        let ready = self.ready
        Task { await TLSListener.acceptLoop(listener, context, ready, onHandshakeError) }
    }

    private static func acceptLoop(_ listener: Listener, _ context: TLSContext, _ ready: ReadyQueue<TLSConn>,
                                   _ onHandshakeError: @escaping @Sendable (any Error) -> Void) async {
        while true {
            let tcp: TCPConn
            do {
                tcp = try await listener.accept()
            } catch {
                ready.finish(error).forEach { $0.close() }
                return
            }
            Task(executorPreference: tcp.reactor) {
                do {
                    let conn = try await TLSConn.handshake(tcp, context: context)
                    if !ready.push(conn) { conn.close() }
                } catch {
                    onHandshakeError(error)
                }
            }
        }
    }

    /// The next connection whose handshake has completed. Throws what the TCP listener's
    /// `accept` threw once it ended (`NetError` `.closed` after ``close()``), or
    /// `CancellationError`. Several tasks may wait at once.
    public func accept() async throws -> TLSConn {
        try await ready.next()
    }

    /// Serves every connection with `handler`, each in its own task on the connection's
    /// reactor; the connection is closed when `handler` returns. Returns once the listener
    /// is closed.
    public func serve(_ handler: @escaping @Sendable (TLSConn) async -> Void) async {
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
