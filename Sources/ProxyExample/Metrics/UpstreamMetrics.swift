import Metrics

/// The metric objects of one upstream, made once and kept so that the hot path only updates
/// them (no label building, no registry lookup). Thread-safe: swift-metrics handlers are.
final class UpstreamMetrics: Sendable {
    /// The upstream as labelled (`HOST:PORT`).
    let upstream: String
    let bytesClientToUpstream: Counter
    let bytesUpstreamToClient: Counter
    let connectFailures: Counter
    let connectSeconds: Timer
    let up: Meter
    let active: Meter

    /// Registers the upstream's series with `factory`; the upstream starts as up (passive
    /// health: it is up until a connect fails).
    init(upstream: String, factory: any MetricsFactory) {
        self.upstream = upstream
        let label = [("upstream", upstream)]
        bytesClientToUpstream = Counter(label: MetricName.bytes, dimensions: [("direction", "client_to_upstream")] + label, factory: factory)
        bytesUpstreamToClient = Counter(label: MetricName.bytes, dimensions: [("direction", "upstream_to_client")] + label, factory: factory)
        connectFailures = Counter(label: MetricName.connectFailures, dimensions: label, factory: factory)
        connectSeconds = Timer(label: MetricName.connectSeconds, dimensions: label, factory: factory)
        up = Meter(label: MetricName.upstreamUp, dimensions: label, factory: factory)
        active = Meter(label: MetricName.upstreamActive, dimensions: label, factory: factory)
        up.set(1.0)
        active.set(0.0)
    }

    /// Bytes moved through one pair, each way.
    func bytes(clientToUpstream: UInt64, upstreamToClient: UInt64) {
        if clientToUpstream > 0 { bytesClientToUpstream.increment(by: Int64(clamping: clientToUpstream)) }
        if upstreamToClient > 0 { bytesUpstreamToClient.increment(by: Int64(clamping: upstreamToClient)) }
    }

    /// A connect failed (refused, timed out, …).
    func connectFailed() {
        connectFailures.increment()
    }

    /// A connect succeeded after `seconds`.
    func connected(seconds: Double) {
        connectSeconds.recordSeconds(max(0, seconds))
    }

    /// The upstream is now considered up (1) or down (0).
    func setUp(_ isUp: Bool) {
        up.set(isUp ? 1.0 : 0.0)
    }

    /// A pair through this upstream opened.
    func pairOpened() {
        active.increment()
    }

    /// A pair through this upstream closed.
    func pairClosed() {
        active.decrement()
    }
}

/// The metric names the proxy exports.
enum MetricName {
    static let connectionsActive = "proxy_connections_active"
    static let connectionsTotal = "proxy_connections_total"
    static let refused = "proxy_refused_total"
    static let configReloads = "proxy_config_reloads_total"
    /// Clients turned away before admission for a reason of the per-IP table
    /// (`reason="ip_table_full"`); the same clients are also in `proxy_refused_total`.
    static let rejected = "proxy_rejected_total"
    static let bytes = "proxy_bytes_total"
    static let connectFailures = "proxy_upstream_connect_failures_total"
    static let connectSeconds = "proxy_upstream_connect_seconds"
    static let connectionDuration = "proxy_connection_duration_seconds"
    static let upstreamUp = "proxy_upstream_up"
    static let upstreamActive = "proxy_upstream_active"
}
