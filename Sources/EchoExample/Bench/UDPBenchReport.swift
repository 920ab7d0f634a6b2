/// The result of a UDP load run (`bench --udp`): a summary for people and a last
/// `RESULT mode=udp key=value …` line for scripts.
struct UDPBenchReport {
    var flows: Int
    var size: Int
    var pipeline: Int
    var batch: Int
    /// The measured window, in seconds.
    var duration: Double
    /// Merged latencies (ns) and counts.
    var recorded: LatencyRecorder.Shard
    /// Datagrams sent in the window, and of those lost; echoes after their loss timeout.
    var sent: Int
    var lost: Int
    var late: Int
    var errors: Int
    var mismatches: Int
    /// The loss (percent of the datagrams sent in the window) above which the run fails.
    var maxLossPercent: Double
    /// CPU seconds the `--server-pid` process used in the window, when asked for.
    var serverCPUSeconds: Double?

    /// Lost datagrams in percent of those sent in the window.
    var lossPercent: Double { sent > 0 ? Double(lost) * 100 / Double(sent) : 0 }

    /// True when the run measured something, nothing went wrong and loss stayed in bounds.
    var succeeded: Bool { errors == 0 && mismatches == 0 && recorded.measured > 0 && lossPercent <= maxLossPercent }

    /// Echoed datagrams per second in the measured window.
    var packetsPerSecond: Double { duration > 0 ? Double(recorded.measured) / duration : 0 }

    /// Payload megabytes (10^6 bytes) per second in the window, each way.
    var megabytesPerSecond: Double { packetsPerSecond * Double(size) / 1e6 }

    private func latency(_ percentile: Double) -> Double {
        recorded.measured == 0 ? 0 : Double(recorded.histogram.valueAtPercentile(percentile)) / 1000
    }

    private var maxLatency: Double { recorded.measured == 0 ? 0 : Double(recorded.histogram.max) / 1000 }

    private func format(_ value: Double) -> String { BenchReport.format(value) }

    /// ` server_cpu_pct=… server_cpu_us_per_msg=…` with `--server-pid`, else nothing.
    private var serverCPUFields: String {
        guard let seconds = serverCPUSeconds, duration > 0 else { return "" }
        let perMessage = recorded.measured > 0 ? seconds * 1e6 / Double(recorded.measured) : 0
        return " server_cpu_pct=\(format(seconds * 100 / duration)) server_cpu_us_per_msg=\(String(format2: perMessage))"
    }

    /// The summary lines.
    var summary: [String] {
        [
            "datagrams   \(recorded.measured) in \(format(duration)) s: \(format(packetsPerSecond)) pkts/s, \(format(megabytesPerSecond)) MB/s each way",
            "latency µs  p50 \(format(latency(50)))  p90 \(format(latency(90)))  p99 \(format(latency(99)))"
                + "  p99.9 \(format(latency(99.9)))  max \(format(maxLatency))",
            "lost        \(lost) of \(sent) sent (\(format(lossPercent)) %), \(late) late",
            "errors      \(errors), mismatches \(mismatches)",
        ]
    }

    /// `RESULT mode=udp flows=… size=… … status=ok|fail`.
    var resultLine: String {
        "RESULT mode=udp flows=\(flows) size=\(size) pipeline=\(pipeline) batch=\(batch) duration_s=\(format(duration))"
            + " msgs=\(recorded.measured) pps=\(format(packetsPerSecond)) MBps=\(format(megabytesPerSecond))"
            + " p50_us=\(format(latency(50))) p90_us=\(format(latency(90))) p99_us=\(format(latency(99)))"
            + " p999_us=\(format(latency(99.9))) max_us=\(format(maxLatency))"
            + " sent=\(sent) lost=\(lost) loss_pct=\(format(lossPercent)) late=\(late)"
            + serverCPUFields
            + " errors=\(errors) mismatches=\(mismatches) status=\(succeeded ? "ok" : "fail")"
    }
}

extension String {
    /// A number with two decimals (`3.14`), without locale.
    init(format2 value: Double) {
        let hundredths = value.isFinite ? Int((value * 100).rounded()) : 0
        let fraction = abs(hundredths % 100)
        self = "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
