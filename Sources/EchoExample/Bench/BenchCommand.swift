import ArgumentParser
import EventLoop
import EventLoopTLS
import ExampleSupport
import Glibc

/// `EchoExample bench`: a load client on the library's own `Dialer`. Opens `-c` connections
/// over a reactor group, keeps `-p` messages of `-s` bytes in flight on each, checks every
/// echoed byte, and reports throughput and latency percentiles for the `-d` window after the
/// `--warmup`. Exits non-zero on any error or mismatch. With `--udp` it loads a UDP echo server
/// instead (`BenchCommand+UDP.swift`); with `--tls` it speaks TLS, and with `--reconnect` each
/// connection closes and reconnects after every message (`BenchCommand+Reconnect.swift`).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load an echo server and measure it (every echoed byte is checked)."
    )

    @Option(name: .long, help: "The server: HOST:PORT, [::1]:PORT or unix:/path.")
    var connect = "127.0.0.1:9000"

    @Option(name: [.customShort("c"), .long], help: "Connections.")
    var connections = 50

    @Option(name: [.customShort("s"), .long], help: ArgumentHelp("Message size.", valueName: "bytes"))
    var size = 64

    @Option(name: [.customShort("p"), .long], help: "Messages in flight per connection.")
    var pipeline = 1

    @Option(name: [.customShort("d"), .long], help: ArgumentHelp("Measured time.", valueName: "seconds"))
    var duration: Double = 10

    @Option(name: .long, help: ArgumentHelp("Unmeasured time before it.", valueName: "seconds"))
    var warmup: Double = 1

    @Option(name: .long, help: "Reactor threads (default: one per available core).")
    var threads: Int?

    @Flag(name: .long, help: "Load a UDP echo server: -c flows (connected sockets), -p datagrams in flight each, -s bytes per datagram (at least 16).")
    var udp = false

    @Option(name: .long, help: ArgumentHelp("With --udp: datagrams per sendmmsg/recvmmsg (1: one send and recv each).", valueName: "n"))
    var batch = 32

    @Option(name: .long, help: ArgumentHelp("With --udp: a datagram not echoed within this is lost.", valueName: "ms"))
    var lossTimeout: Double = 200

    @Option(name: .long, help: ArgumentHelp("With --udp: fail when more than this share of the window's datagrams was lost.", valueName: "percent"))
    var maxLossPct: Double = 1

    @Option(name: .long, help: ArgumentHelp("With --udp: report this process's CPU per datagram over the measured window (the server's pid).", valueName: "pid"))
    var serverPid: Int32?

    @Flag(name: .customLong("tls"), help: "Speak TLS to the server (verified against the system's roots, --tls-ca, or not at all with --tls-insecure).")
    var tls = false

    @Option(name: .customLong("tls-ca"), help: ArgumentHelp("With --tls: verify the server against the CAs in this PEM file.", valueName: "path"))
    var tlsCA: String?

    @Flag(name: .customLong("tls-insecure"), help: "With --tls: do not verify the server's certificate (tests only).")
    var tlsInsecure = false

    @Option(name: .customLong("tls-sni"), help: ArgumentHelp("With --tls: the server name sent (SNI) and verified (default: the --connect host when it is a name).", valueName: "name"))
    var tlsSNI: String?

    @Flag(name: .customLong("reconnect"), help: "Close and reconnect each connection after every message (measures new connections; -p must be 1); the summary reports handshakes per second.")
    var reconnect = false

    @Flag(name: .customLong("tls-resume"), help: "With --tls --reconnect: resume the TLS session on reconnect (session cache, TLS 1.3 tickets).")
    var tlsResume = false

    /// `--max-loss-pct`.
    var maxLossPercent: Double { maxLossPct }

    /// How long connecting may take, and how long the in-flight messages may take to come back
    /// after the measured time: every phase of a run is bounded.
    static let connectTimeout: Duration = .seconds(10)
    static let drainTime: Duration = .seconds(10)

    func validate() throws {
        if connections < 1 { throw ValidationError("-c must be at least 1") }
        if size < 1 { throw ValidationError("-s must be at least 1") }
        if pipeline < 1 { throw ValidationError("-p must be at least 1") }
        if !(duration > 0) { throw ValidationError("-d must be more than 0") }
        if !(warmup >= 0) { throw ValidationError("--warmup must not be negative") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if udp && !(16...65_507).contains(size) { throw ValidationError("-s must be between 16 and 65507 with --udp") }
        if !(1...64).contains(batch) { throw ValidationError("--batch must be between 1 and 64") }
        if !(lossTimeout > 0) { throw ValidationError("--loss-timeout must be more than 0") }
        if !(maxLossPct >= 0) { throw ValidationError("--max-loss-pct must not be negative") }
        if !tls && (tlsCA != nil || tlsInsecure || tlsSNI != nil || tlsResume) {
            throw ValidationError("--tls-ca, --tls-insecure, --tls-sni and --tls-resume need --tls")
        }
        if tlsCA != nil && tlsInsecure { throw ValidationError("--tls-ca and --tls-insecure exclude each other") }
        if tlsResume && !reconnect { throw ValidationError("--tls-resume needs --reconnect") }
        if reconnect && pipeline != 1 { throw ValidationError("-p must be 1 with --reconnect") }
        if udp && (tls || reconnect) { throw ValidationError("--udp does not go with --tls or --reconnect") }
    }

    func run() async throws {
        if udp { return try await runUDP() }
        let group = try ReactorGroup(count: threads, name: "bench")
        let report: BenchReport
        do {
            report = try await measure(on: group)
        } catch {
            await group.shutdown()
            standardError("bench: cannot connect to \(connect): \(error)\n")
            var failed = BenchReport(connections: connections, size: size, pipeline: pipeline, duration: duration,
                                     recorded: LatencyRecorder.Shard(), errors: 1, mismatches: 0)
            failed.duration = 0
            standardOutput(failed.resultLine)
            throw ExitCode.failure
        }
        await group.shutdown()
        for line in report.summary { standardOutput(line) }
        standardOutput(report.resultLine)
        if !report.succeeded { throw ExitCode.failure }
    }

    /// Connects, runs the load, and returns the report; throws when it cannot connect.
    private func measure(on group: ReactorGroup) async throws -> BenchReport {
        let connector = try await BenchConnector(label: connect, timeout: Self.connectTimeout, tls: tlsConfiguration())
        if reconnect { return try await measureReconnecting(on: group, connector: connector) }
        let conns: [any BenchConn] = tls
            ? try await Self.dialAll(connections, group: group) { try await connector.dialTLS(on: $0) }
            : try await Self.dialAll(connections, group: group) { try await connector.dialTCP(on: $0) }
        standardOutput(headline(threads: group.reactors.count))
        let start = Deadline.now
        let measureFrom = start + .seconds(warmup)
        let stopSending = measureFrom + .seconds(duration)
        let recorder = LatencyRecorder(group: group, measuring: measureFrom, until: stopSending)
        let plan = LoadClient.Plan(size: size, pipeline: pipeline, stopSending: stopSending.nanoseconds,
                                   hardDeadline: stopSending + Self.drainTime)
        var errors = 0
        var mismatches = 0
        await withTaskGroup(of: LoadClient.Outcome?.self) { tasks in
            for (index, conn) in conns.enumerated() {
                let client = LoadClient(conn: conn, stream: PatternStream(connection: index), plan: plan, recorder: recorder)
                tasks.addTask(executorPreference: conn.reactor) { await client.run() }
            }
            if isatty(1) != 0 {
                tasks.addTask { await Self.showProgress(recorder, size: size, from: start, until: stopSending) }
            }
            var finished = 0
            while let outcome = await tasks.next() {
                guard let outcome else { continue }
                if let error = outcome.error {
                    if errors < 5 { standardError("bench: connection error: \(error)\n") }
                    errors += 1
                }
                if let mismatch = outcome.mismatch {
                    if mismatches < 5 { standardError("bench: mismatch: \(mismatch)\n") }
                    mismatches += 1
                }
                finished += 1
                if finished == conns.count { tasks.cancelAll() }  // ends the progress line early
            }
        }
        let recorded = recorder.merged()
        if recorded.measured == 0 && errors == 0 && mismatches == 0 {
            standardError("bench: no message completed in the measured window\n")
        }
        return BenchReport(connections: connections, size: size, pipeline: pipeline, duration: duration,
                           recorded: recorded, errors: errors, mismatches: mismatches)
    }

    /// Opens `count` connections with `dial` over the reactors of `group`; on the first
    /// failure closes those already open and throws it.
    static func dialAll<C: BenchConn>(_ count: Int, group: ReactorGroup,
                                      dial: @escaping @Sendable (Reactor) async throws -> C) async throws -> [any BenchConn] {
        try await withThrowingTaskGroup(of: C.self) { tasks in
            var conns: [any BenchConn] = []
            conns.reserveCapacity(count)
            for _ in 0..<count {
                let reactor = group.next()
                tasks.addTask { try await dial(reactor) }
            }
            do {
                while let conn = try await tasks.next() { conns.append(conn) }
            } catch {
                tasks.cancelAll()
                while let late = try? await tasks.next() { late.close() }
                conns.forEach { $0.close() }
                throw error
            }
            return conns
        }
    }

    /// Prints one progress line a second (only when standard output is a terminal).
    static func showProgress(_ recorder: LatencyRecorder, size: Int, from start: Deadline, until end: Deadline) async -> LoadClient.Outcome? {
        var previous = (time: start, completed: 0)
        while Deadline.now < end {
            do { try await Task.sleep(for: .seconds(1)) } catch { return nil }
            let now = (time: Deadline.now, completed: recorder.completed)
            let rate = Double(now.completed - previous.completed) / max((now.time - previous.time).inSeconds, 1e-3)
            let phase = previous.time.nanoseconds < recorder.measureFrom ? " (warm-up)" : ""
            standardOutput("\(BenchReport.format((now.time - start).inSeconds)) s: \(BenchReport.format(rate)) msgs/s,"
                           + " \(BenchReport.format(rate * Double(size) / 1e6)) MB/s\(phase)")
            previous = now
        }
        return nil
    }
}
