/// The proxy's metrics (swift-metrics, rendered in Prometheus text format). Thread-safe. (Stub.)
final class ProxyMetrics: Sendable {
    init() {}
    func connectionOpened() {}
    func connectionClosed(seconds: Double) {}
    func refused(_ reason: RefusalReason) {}
    func bytes(clientToUpstream: UInt64, upstreamToClient: UInt64, upstream: String) {}
    func upstreamConnectFailed(_ upstream: String) {}
    func upstreamConnected(_ upstream: String, seconds: Double) {}
    func upstreamState(_ upstream: String, up: Bool) {}
    func upstreamPairOpened(_ upstream: String) {}
    func upstreamPairClosed(_ upstream: String) {}
    /// The Prometheus text exposition of every metric.
    func render() -> String { "" }
}
