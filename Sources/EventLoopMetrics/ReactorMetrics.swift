import CoreMetrics
import EventLoop
import Synchronization

/// Reports a `ReactorGroup`'s `ReactorGroup.statistics` through swift-metrics: one series
/// per reactor, with a `reactor` dimension carrying its name (`reactor-0`).
///
/// Counters (increasing): `<prefix>_loop_iterations_total`, `<prefix>_events_total`,
/// `<prefix>_tasks_total`, `<prefix>_timers_fired_total`, `<prefix>_stalls_total`. Gauges
/// (current values): `<prefix>_timers_armed`, `<prefix>_open_sockets`,
/// `<prefix>_buffer_pool_in_use` (chunks lent out), `<prefix>_buffer_pool_kept_bytes`. The
/// default prefix is `eventloop_reactor`.
///
/// The metrics move when ``update()`` reads the statistics: call it on demand (before a
/// Prometheus page is rendered: the page is then exact as of the scrape, with no background
/// work), or let ``run(every:)`` poll periodically for a push backend. Counters advance by the
/// difference since the previous update.
///
/// Thread safety: every method may be called from any thread; updates are serialized by a lock.
public final class ReactorMetrics: Sendable {
    /// The default name prefix.
    public static let defaultPrefix = "eventloop_reactor"

    private let group: ReactorGroup
    private let series: [ReactorSeries]
    private let lastSeen: Mutex<[ReactorStatistics?]>

    /// Metrics for every reactor of `group`, named with `prefix`, made by `factory` (the
    /// process's bootstrapped `MetricsSystem.factory` by default). The gauges are set by the
    /// first ``update()``.
    public init(group: ReactorGroup, prefix: String = ReactorMetrics.defaultPrefix,
                factory: any MetricsFactory = MetricsSystem.factory) {
        self.group = group
        series = group.reactors.map { ReactorSeries(reactor: $0.name, prefix: prefix, factory: factory) }
        lastSeen = Mutex(Array(repeating: nil, count: group.reactors.count))
    }

    /// Reads every reactor's statistics now and moves the metrics to them. O(reactors); a few
    /// relaxed atomic loads per reactor, no hop to the reactor threads.
    public func update() {
        let now = group.statistics
        lastSeen.withLock { lastSeen in
            for index in now.indices {
                series[index].record(now[index], since: lastSeen[index])
                lastSeen[index] = now[index]
            }
        }
    }

    /// Calls ``update()`` now and then every `interval` until the calling task is cancelled.
    public func run(every interval: Duration = .seconds(10)) async {
        while !Task.isCancelled {
            update()
            try? await Task.sleep(for: interval)
        }
    }
}

/// The metric objects of one reactor.
struct ReactorSeries: Sendable {
    let loopIterations: Counter
    let events: Counter
    let tasks: Counter
    let timersFired: Counter
    let stalls: Counter
    let timersArmed: Gauge
    let openSockets: Gauge
    let bufferPoolInUse: Gauge
    let bufferPoolKeptBytes: Gauge

    init(reactor: String, prefix: String, factory: any MetricsFactory) {
        let dimensions = [("reactor", reactor)]
        func counter(_ name: String) -> Counter { Counter(label: "\(prefix)_\(name)", dimensions: dimensions, factory: factory) }
        func gauge(_ name: String) -> Gauge { Gauge(label: "\(prefix)_\(name)", dimensions: dimensions, factory: factory) }
        loopIterations = counter("loop_iterations_total")
        events = counter("events_total")
        tasks = counter("tasks_total")
        timersFired = counter("timers_fired_total")
        stalls = counter("stalls_total")
        timersArmed = gauge("timers_armed")
        openSockets = gauge("open_sockets")
        bufferPoolInUse = gauge("buffer_pool_in_use")
        bufferPoolKeptBytes = gauge("buffer_pool_kept_bytes")
    }

    /// Advances the counters by the difference from `previous` (from zero the first time) and
    /// sets the gauges.
    func record(_ now: ReactorStatistics, since previous: ReactorStatistics?) {
        func advance(_ counter: Counter, _ value: UInt64, _ old: UInt64?) {
            let delta = value &- (old ?? 0)
            if delta > 0, delta < UInt64(Int64.max) { counter.increment(by: Int64(delta)) }
        }
        advance(loopIterations, now.loopIterations, previous?.loopIterations)
        advance(events, now.eventsHandled, previous?.eventsHandled)
        advance(tasks, now.tasksRun, previous?.tasksRun)
        advance(timersFired, now.timersFired, previous?.timersFired)
        advance(stalls, now.stalls, previous?.stalls)
        timersArmed.record(now.timersArmed)
        openSockets.record(now.openSockets)
        bufferPoolInUse.record(now.bufferPool.inUse)
        bufferPoolKeptBytes.record(now.bufferPool.keptBytes)
    }
}
