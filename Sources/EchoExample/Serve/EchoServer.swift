import EventLoop
import EventLoopTLS
import ExampleSupport
import Logging

/// The echo service on both levels of the library, with what the command adds around it:
/// admission under `--max-conns`, the registry a graceful shutdown drains, the totals, the logs.
///
/// Per-message work stays in the connection loops (`AsyncEcho.swift`, `EchoHandler.swift`,
/// `LineEchoHandler.swift`); everything here runs once per connection.
final class EchoServer: Sendable {
    /// What the server does with the bytes it reads.
    enum Mode: String, CaseIterable, Sendable {
        /// Bytes go back as they came.
        case raw
        /// Each line is answered with `Echo: <line>\n` (see ``LineProtocol``).
        case line
    }

    /// The level of the library a connection is served on.
    enum API: String, CaseIterable, Sendable {
        /// One task per connection on its reactor (`Listener.serve(_:)`).
        case async
        /// `StreamHandler` callbacks on the reactor thread (`Listener.serveHandlers(_:)`).
        case handler
    }

    /// The service's settings, from the `serve` flags.
    struct Configuration: Sendable {
        var mode: Mode = .raw
        var api: API = .async
        /// Close a connection idle this long; nil for never.
        var idleTimeout: Duration?
        /// The longest line of the line protocol, without its terminator.
        var maxLineLength = 65_536
        /// UDP datagrams per receive and send system call (1: no batching).
        var udpBatch = 32
        /// The server context when `--tls-cert` is given: every TCP connection speaks TLS.
        var tls: TLSContext?
    }

    let configuration: Configuration
    let registry: ConnectionRegistry
    let totals: Totals
    let logger: Logger

    /// A server with these settings, counting into `totals` and admitting through `registry`.
    init(configuration: Configuration, registry: ConnectionRegistry, totals: Totals, logger: Logger) {
        self.configuration = configuration
        self.registry = registry
        self.totals = totals
        self.logger = logger
    }

    /// Serves `listener` until it is closed (connections still open then are the registry's).
    func serve(_ listener: Listener) async {
        if let context = configuration.tls, configuration.api == .async {
            return await serveTLS(TLSListener(listener, context: context) { error in self.handshakeFailed(peer: nil, error) })
        }
        switch configuration.api {
        case .async:
            await listener.serve { conn in await self.handle(conn) }
        case .handler:
            listener.serveHandlers({ socket in self.makeHandler(for: socket) })
            await listener.waitUntilClosed()
        }
    }

    /// Admits a new connection (`close` closes it from any thread) and returns its id, or
    /// counts it as refused and returns nil when `--max-conns` connections are open.
    func admit(peer: SocketAddress?, close: @escaping @Sendable () -> Void) -> UInt64? {
        guard let id = registry.admit(close: close) else {
            totals.connectionRefused()
            logger.debug("connection refused", metadata: ["peer": "\(peer?.description ?? "?")", "max_conns": "\(registry.limit ?? 0)"])
            return nil
        }
        totals.connectionAccepted()
        logger.debug("connection opened", metadata: ["conn": "\(id)", "peer": "\(peer?.description ?? "?")"])
        return id
    }

    /// Connection `id` has closed after reading `read` and writing `written` bytes. It leaves
    /// the registry before the debug line is written, so a reader of the log may rely on it.
    func ended(_ id: UInt64, read: UInt64, written: UInt64, reason: @autoclosure () -> String) {
        totals.connectionEnded(read: read, written: written)
        registry.remove(id)
        logger.debug("connection closed", metadata: ["conn": "\(id)", "in": "\(read)", "out": "\(written)", "reason": "\(reason())"])
    }

    /// Logs a failed TLS handshake: the client's address and the reason (a `TLSError` or
    /// `NetError` names both addresses already; `peer` is added when it is known).
    func handshakeFailed(peer: SocketAddress?, _ error: any Error) {
        let address = peer ?? (error as? TLSError)?.remoteAddress ?? (error as? NetError)?.remoteAddress
        logger.notice("tls handshake failed", metadata: ["peer": "\(address?.description ?? "?")", "reason": "\(error)"])
    }

    /// Logs one received line at trace level (callers check ``tracesLines`` first).
    func traceLine(_ line: UnsafeRawBufferPointer, conn id: UInt64) {
        logger.trace("line", metadata: ["conn": "\(id)", "text": "\(String(decoding: line, as: UTF8.self))"])
    }

    /// True when received lines are logged: checked once per connection, not per line.
    var tracesLines: Bool { logger.logLevel <= .trace }
}
