/// How a reactor watches for callbacks that hold its thread too long (stalls), and where it
/// reports them. Set on a ``ReactorGroup`` (or a ``Reactor``) when it is created.
///
/// Every callback the reactor runs (a readiness handler, a task slice between two suspension
/// points, a queued closure, a timer) is timed on CLOCK_MONOTONIC_COARSE: one clock read when
/// it ends, which is also the start of the next one. One that runs `threshold` or longer is
/// counted (``ReactorStatistics/stalls``) and reported through `report`, on the reactor
/// thread, at most once per `minimumReportInterval` per reactor; the stalls in between are
/// counted in the next report's ``StallReport/suppressed``. The coarse clock advances by the
/// kernel tick (1–4 ms), so a duration is exact to one tick: ample for a 50 ms threshold.
public struct StallDetection: Sendable {
    /// Callbacks running this long or longer are stalls; `.zero` turns detection off (no clock
    /// read at all).
    public var threshold: Duration
    /// The least time between two reports of one reactor.
    public var minimumReportInterval: Duration
    /// Receives each report, on the reactor thread that stalled: it must return quickly.
    public var report: @Sendable (StallReport) -> Void

    /// Stalls of `threshold` or longer, reported through `report` at most once per
    /// `minimumReportInterval` per reactor.
    public init(threshold: Duration = .milliseconds(50), minimumReportInterval: Duration = .seconds(1),
                report: @escaping @Sendable (StallReport) -> Void = StallDetection.writeToStandardError) {
        self.threshold = threshold
        self.minimumReportInterval = minimumReportInterval
        self.report = report
    }

    /// The default: a 50 ms threshold, at most one line per second per reactor on stderr.
    public static var `default`: StallDetection { StallDetection() }

    /// No stall detection: the loop reads no clock for it.
    public static var off: StallDetection { StallDetection(threshold: .zero) }

    /// Writes the report's ``StallReport/description`` as one line on the standard error stream.
    public static let writeToStandardError: @Sendable (StallReport) -> Void = { report in
        Syscall.writeStandardError(report.description)
    }
}

/// One reported stall: a callback that held its reactor's thread for `duration`.
public struct StallReport: Sendable, Hashable, CustomStringConvertible {
    /// The reactor's name (`reactor-0`).
    public var reactor: String
    /// How long the callback ran (to one kernel tick, 1–4 ms).
    public var duration: Duration
    /// The threshold it crossed.
    public var threshold: Duration
    /// Stalls of this reactor since its previous report that were not reported (rate limit).
    public var suppressed: Int
    /// Stalls this reactor has counted since it started, this one included.
    public var total: UInt64

    /// The warning line: `warning: reactor reactor-0 stalled for 121 ms (threshold 50 ms):
    /// a callback blocked its thread; 2 more stalls since the last warning (total 5); move
    /// blocking work to offload { }`.
    public var description: String {
        var line = "warning: reactor \(reactor) stalled for \(StallReport.milliseconds(duration)) ms"
            + " (threshold \(StallReport.milliseconds(threshold)) ms): a callback blocked its thread"
        if suppressed > 0 {
            line += "; \(suppressed) more stall\(suppressed == 1 ? "" : "s") since the last warning (total \(total))"
        }
        return line + "; move blocking work to offload { }"
    }

    /// Creates a report (for tests of report consumers).
    public init(reactor: String, duration: Duration, threshold: Duration, suppressed: Int, total: UInt64) {
        self.reactor = reactor
        self.duration = duration
        self.threshold = threshold
        self.suppressed = suppressed
        self.total = total
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
