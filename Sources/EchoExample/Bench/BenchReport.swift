import Histogram

/// The result of a load run: a summary for people and a last `RESULT key=value …` line for
/// scripts.
struct BenchReport {
    var connections: Int
    var size: Int
    var pipeline: Int
    /// The measured window, in seconds.
    var duration: Double
    /// Merged latencies (ns) and counts.
    var recorded: LatencyRecorder.Shard
    var errors: Int
    var mismatches: Int
    /// With `--reconnect`: connections (handshakes) made in the measured window, and how many
    /// of them resumed a TLS session.
    var reconnects: (connections: Int, resumed: Int)?

    /// New connections (with TLS: handshakes) per second in the measured window.
    var handshakesPerSecond: Double { duration > 0 ? Double(reconnects?.connections ?? 0) / duration : 0 }

    /// True when the run measured something and nothing went wrong.
    var succeeded: Bool { errors == 0 && mismatches == 0 && recorded.measured > 0 }

    /// Messages per second in the measured window.
    var messagesPerSecond: Double { duration > 0 ? Double(recorded.measured) / duration : 0 }

    /// Payload megabytes (10^6 bytes) per second in the measured window, each way.
    var megabytesPerSecond: Double { messagesPerSecond * Double(size) / 1e6 }

    /// The latency at `percentile`, in microseconds (0 when nothing was measured).
    func latency(_ percentile: Double) -> Double {
        recorded.measured == 0 ? 0 : Double(recorded.histogram.valueAtPercentile(percentile)) / 1000
    }

    /// The largest latency, in microseconds.
    var maxLatency: Double { recorded.measured == 0 ? 0 : Double(recorded.histogram.max) / 1000 }

    /// The summary lines.
    var summary: [String] {
        [
            "messages    \(recorded.measured) in \(Self.format(duration)) s: \(Self.format(messagesPerSecond)) msgs/s, \(Self.format(megabytesPerSecond)) MB/s each way",
            "latency µs  p50 \(Self.format(latency(50)))  p90 \(Self.format(latency(90)))  p99 \(Self.format(latency(99)))"
                + "  p99.9 \(Self.format(latency(99.9)))  max \(Self.format(maxLatency))",
            "errors      \(errors), mismatches \(mismatches)",
        ] + (reconnects.map { counts in
            ["handshakes  \(counts.connections) in \(Self.format(duration)) s: \(Self.format(handshakesPerSecond)) handshakes/s, \(counts.resumed) resumed sessions"]
        } ?? [])
    }

    /// `RESULT mode=bench conns=… size=… … status=ok|fail`.
    var resultLine: String {
        "RESULT mode=bench conns=\(connections) size=\(size) pipeline=\(pipeline) duration_s=\(Self.format(duration))"
            + " msgs=\(recorded.measured) msgs_per_s=\(Self.format(messagesPerSecond)) MBps=\(Self.format(megabytesPerSecond))"
            + " p50_us=\(Self.format(latency(50))) p90_us=\(Self.format(latency(90))) p99_us=\(Self.format(latency(99)))"
            + " p999_us=\(Self.format(latency(99.9))) max_us=\(Self.format(maxLatency))"
            + (reconnects.map { " handshakes=\($0.connections) handshakes_per_s=\(Self.format(handshakesPerSecond)) resumed=\($0.resumed)" } ?? "")
            + " errors=\(errors) mismatches=\(mismatches) status=\(succeeded ? "ok" : "fail")"
    }

    /// A number with one decimal (`12.3`), without locale.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "0.0" }
        let tenths = (value * 10).rounded()
        let whole = Int(tenths / 10)
        let fraction = Int(abs(tenths.truncatingRemainder(dividingBy: 10)))
        return "\(whole).\(fraction)"
    }
}
