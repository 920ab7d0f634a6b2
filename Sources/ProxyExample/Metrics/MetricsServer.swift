import EventLoop
import Logging

/// A minimal HTTP/1.1 server on the library answering `GET /metrics` with
/// ``ProxyMetrics/render()``. (Stub.)
final class MetricsServer: Sendable {
    let listener: Listener
    private init(listener: Listener) { self.listener = listener }

    static func start(_ address: SocketAddress, group: ReactorGroup, metrics: ProxyMetrics, logger: Logger) async throws -> MetricsServer {
        let listener = try await Listener.listen(address, group: group)
        return MetricsServer(listener: listener)
    }

    /// The bound address (port 0 resolved).
    var address: SocketAddress { listener.address }

    /// Stops serving and closes the listener.
    func close() { listener.close() }
}
