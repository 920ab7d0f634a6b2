import EventLoop
import EventLoopMetrics
import ExampleSupport
import Metrics
import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory

/// The proxy's metrics: swift-metrics objects made through a `PrometheusMetricsFactory` over a
/// registry of this instance's own (no process-global bootstrap, so several instances can
/// live side by side), rendered in the Prometheus text format.
///
/// With a ``ReactorGroup`` (`reactors:`), the page also carries the group's reactor statistics
/// (``ReactorMetrics``: `eventloop_reactor_*{reactor="…"}`), read at each ``render()``.
///
/// Thread-safe: every method may be called from any reactor thread. Hot-path calls (bytes,
/// connection open/close, refusals) update cached metric objects: no label strings are built.
/// Per-upstream objects are made up front for the `upstreams` given to ``init(upstreams:)``;
/// an upstream first seen later gets its objects once, under a lock.
final class ProxyMetrics: PrometheusPage {
    /// The registry ``render()`` reads.
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let connectionsActive: Meter
    private let connectionsTotal: Counter
    private let connectionDuration: Timer
    private let refusedCounters: [RefusalReason: Counter]
    /// `proxy_rejected_total{reason="ip_table_full"}`: the per-IP table was full of live addresses.
    private let ipTableFull: Counter
    private let known: [String: UpstreamMetrics]
    private let others = Locked<[String: UpstreamMetrics]>([:])
    private let reactorMetrics: ReactorMetrics?
    /// `proxy_config_reloads_total{result="ok"}` and `{result="error"}`.
    private let reloadsOK: Counter
    private let reloadsFailed: Counter

    /// Bucket bounds of `proxy_upstream_connect_seconds`.
    static let connectBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]
    /// Bucket bounds of `proxy_connection_duration_seconds`.
    static let durationBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(10), .seconds(60),
        .seconds(300), .seconds(900), .seconds(3600), .seconds(14400), .seconds(86400),
    ]

    /// Metrics with every series of `upstreams` (`HOST:PORT` as given) registered up front, and
    /// the reactor statistics of `reactors` when given.
    init(upstreams: [String] = [], reactors: ReactorGroup? = nil) {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            MetricName.connectSeconds: ProxyMetrics.connectBuckets,
            MetricName.connectionDuration: ProxyMetrics.durationBuckets,
        ]
        self.factory = factory
        connectionsActive = Meter(label: MetricName.connectionsActive, factory: factory)
        connectionsActive.set(0.0)
        connectionsTotal = Counter(label: MetricName.connectionsTotal, factory: factory)
        connectionDuration = Timer(label: MetricName.connectionDuration, factory: factory)
        var refused: [RefusalReason: Counter] = [:]
        for reason in RefusalReason.allCases {
            refused[reason] = Counter(label: MetricName.refused, dimensions: [("reason", reason.rawValue)], factory: factory)
        }
        refusedCounters = refused
        ipTableFull = Counter(label: MetricName.rejected, dimensions: [("reason", "ip_table_full")], factory: factory)
        var known: [String: UpstreamMetrics] = [:]
        for upstream in upstreams where known[upstream] == nil {
            known[upstream] = UpstreamMetrics(upstream: upstream, factory: factory)
        }
        self.known = known
        reactorMetrics = reactors.map { ReactorMetrics(group: $0, factory: factory) }
        reloadsOK = Counter(label: MetricName.configReloads, dimensions: [("result", "ok")], factory: factory)
        reloadsFailed = Counter(label: MetricName.configReloads, dimensions: [("result", "error")], factory: factory)
    }

    /// The cached metric objects of `upstream`; callers on a hot path may keep the result.
    /// O(1) for upstreams given at init, otherwise one locked lookup.
    func upstreamMetrics(_ upstream: String) -> UpstreamMetrics {
        if let metrics = known[upstream] { return metrics }
        return others.withLock { others in
            if let metrics = others[upstream] { return metrics }
            let metrics = UpstreamMetrics(upstream: upstream, factory: factory)
            others[upstream] = metrics
            return metrics
        }
    }

    /// A client was admitted.
    func connectionOpened() {
        connectionsTotal.increment()
        connectionsActive.increment()
    }

    /// An admitted client is gone after `seconds`.
    func connectionClosed(seconds: Double) {
        connectionsActive.decrement()
        connectionDuration.recordSeconds(max(0, seconds))
    }

    /// A client was refused for `reason`.
    /// A refusal because the per-IP table is full is also counted in
    /// `proxy_rejected_total{reason="ip_table_full"}`.
    func refused(_ reason: RefusalReason) {
        refusedCounters[reason]?.increment()
        if reason == .clientTableFull { ipTableFull.increment() }
    }

    /// A configuration reload (SIGHUP) took effect (`ok`) or was refused, the running
    /// configuration kept (`error`).
    func configReloaded(ok: Bool) {
        (ok ? reloadsOK : reloadsFailed).increment()
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric. O(number of series).
    func render() -> String {
        reactorMetrics?.update()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(8 * 1024)
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
