import EventLoop
import Logging

/// A page of metrics in the Prometheus text format (0.0.4), rendered at each request.
public protocol PrometheusPage: Sendable {
    /// The whole page. Called once per request, on the reactor serving it.
    func render() -> String
}

/// A minimal HTTP/1.1 server on the library answering `GET /metrics` (and `HEAD`) with a
/// ``PrometheusPage``'s ``PrometheusPage/render()``.
///
/// One request per connection, answered with `Connection: close` and then closed: 200 with
/// `Content-Type: text/plain; version=0.0.4` for `/metrics` (a query string is ignored), 200
/// for `/healthz`, 200 or 503 for `/readyz` (see ``ReadinessCheck``), 404 for any other path, 405 for another method, 400 for anything that is not an HTTP/1.x
/// request head, 431 for a head over ``maxHeadBytes``. A peer that sends nothing for
/// ``readTimeout`` is closed. Memory per connection is bounded by the head limit plus one read
/// chunk whatever the peer sends; a request body is never read.
///
/// Thread safety: `start` and `close` may be called from any thread; each connection is served
/// by one task on its own reactor.
public final class MetricsServer: Sendable {
    /// Longest request head accepted, in bytes.
    static let maxHeadBytes = 8 * 1024
    /// How long a connection may take to send its whole head.
    static let readTimeout: Duration = .seconds(10)

    let listener: Listener
    private init(listener: Listener) { self.listener = listener }

    /// Listens on `address` and serves requests until ``close()``. Throws the listener's
    /// ``NetError`` (`bind`, `listen`) when the address cannot be used.
    public static func start(_ address: SocketAddress, group: ReactorGroup, metrics: any PrometheusPage, logger: Logger) async throws -> MetricsServer {
        let listener = try await Listener.listen(address, group: group)
        Task {
            await listener.serve { conn in
                await MetricsServer.handle(conn, metrics: metrics, logger: logger)
            }
        }
        logger.info("metrics at http://\(listener.address)/metrics")
        return MetricsServer(listener: listener)
    }

    /// The bound address (port 0 resolved).
    public var address: SocketAddress { listener.address }

    /// Stops accepting and closes the listener (a request being answered finishes). Idempotent.
    public func close() { listener.close() }

    /// Reads one request head from `conn` and answers it; the caller closes `conn`. Never throws:
    /// a peer that goes away, resets or times out is just dropped (logged at debug). `/healthz`
    /// answers 200; `/readyz` answers from `readiness` (200 when nil).
    public static func handle(_ conn: TCPConn, metrics: any PrometheusPage, readiness: (any ReadinessCheck)? = nil,
                              logger: Logger) async {
        let deadline = Deadline.after(readTimeout)
        conn.setReadDeadline(deadline)
        conn.setWriteDeadline(deadline + readTimeout)
        var head: [UInt8] = []
        var scanner = HTTPHeadScanner()
        var buffer = ByteBuffer()
        do {
            while true {
                let count = try await conn.read(into: &buffer)
                if count == 0 { return }
                buffer.withUnsafeReadableBytes { head.append(contentsOf: $0) }
                buffer.moveReaderIndex(forwardBy: count)
                if let end = scanner.endOfHead(in: head), end <= maxHeadBytes {
                    let response = MetricsResponse(for: HTTPRequestHead(head[..<end]), metrics: metrics, readiness: readiness)
                    try await conn.write(response.bytes)
                    return
                }
                if head.count > maxHeadBytes {
                    try await conn.write(MetricsResponse.status(431, "Request Header Fields Too Large").bytes)
                    return
                }
            }
        } catch {
            logger.debug("metrics request from \(conn.remoteAddress?.description ?? "?"): \(error)")
        }
    }
}
