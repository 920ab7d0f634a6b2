import EventLoop
import EventLoopMetrics
import ExampleSupport
import Logging
import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory

/// The echo server's Prometheus page (`--metrics HOST:PORT`): the reactor statistics
/// (``ReactorMetrics``, `eventloop_reactor_*{reactor="…"}`), read at each scrape, over a
/// registry of its own (no process-global bootstrap).
final class EchoMetricsPage: PrometheusPage {
    private let registry = PrometheusCollectorRegistry()
    private let reactors: ReactorMetrics

    /// A page for the reactors of `group`.
    init(group: ReactorGroup) {
        reactors = ReactorMetrics(group: group, factory: PrometheusMetricsFactory(registry: registry))
    }

    /// The page in the Prometheus text format, with the statistics read now.
    func render() -> String {
        reactors.update()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4 * 1024)
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
