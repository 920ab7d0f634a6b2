import ArgumentParser
import EventLoop
import ExampleSupport
import Glibc

/// `bench --udp`: `-c` flows (connected UDP sockets) each keep `-p` datagrams of `-s` bytes in
/// flight against a UDP echo server, `--batch` per system call; losses are counted, not fatal
/// unless above `--max-loss-pct`.
extension BenchCommand {
    /// Every flow must get one echo back within this before the load starts.
    static let udpHandshakeTimeout: Duration = .seconds(5)

    func runUDP() async throws {
        let group = try ReactorGroup(count: threads, name: "bench")
        let report: UDPBenchReport
        do {
            report = try await measureUDP(on: group)
        } catch {
            await group.shutdown()
            standardError("bench: cannot reach \(connect) over UDP: \(error)\n")
            let failed = UDPBenchReport(flows: connections, size: size, pipeline: pipeline, batch: batch, duration: 0,
                                        recorded: LatencyRecorder.Shard(), sent: 0, lost: 0, late: 0, errors: 1, mismatches: 0,
                                        maxLossPercent: maxLossPercent)
            standardOutput(failed.resultLine)
            throw ExitCode.failure
        }
        await group.shutdown()
        for line in report.summary { standardOutput(line) }
        standardOutput(report.resultLine)
        if !report.succeeded { throw ExitCode.failure }
    }

    private func measureUDP(on group: ReactorGroup) async throws -> UDPBenchReport {
        let conns = try await Self.openFlows(connections, to: connect, group: group)
        standardOutput("bench udp \(connect): \(connections) flows, \(size) B datagrams, pipeline \(pipeline), batch \(batch),"
                       + " \(BenchReport.format(duration)) s after \(BenchReport.format(warmup)) s warm-up, \(group.reactors.count) threads")
        let start = Deadline.now
        let measureFrom = start + .seconds(warmup)
        let stopSending = measureFrom + .seconds(duration)
        let recorder = LatencyRecorder(group: group, measuring: measureFrom, until: stopSending)
        let plan = UDPLoadClient.Plan(size: size, pipeline: pipeline, batch: batch,
                                      lossTimeout: UInt64(lossTimeout * 1_000_000), stopSending: stopSending.nanoseconds,
                                      measureFrom: measureFrom.nanoseconds)
        var total = UDPLoadClient.Outcome()
        var errors = 0
        let serverCPU = serverPid.map { pid in Task { await Self.cpuSeconds(of: pid, from: measureFrom, until: stopSending) } }
        await withTaskGroup(of: UDPLoadClient.Outcome.self) { tasks in
            for (index, conn) in conns.enumerated() {
                let client = UDPLoadClient(conn: conn, stream: PatternStream(connection: index), plan: plan, recorder: recorder)
                tasks.addTask(executorPreference: conn.reactor) { await client.run() }
            }
            for await outcome in tasks {
                if let error = outcome.error {
                    if errors < 5 { standardError("bench: flow error: \(error)\n") }
                    errors += 1
                }
                if let mismatch = outcome.firstMismatch, total.mismatches < 5 { standardError("bench: mismatch: \(mismatch)\n") }
                total.mismatches += outcome.mismatches
                total.sent += outcome.sent
                total.lost += outcome.lost
                total.late += outcome.late
            }
        }
        var report = UDPBenchReport(flows: connections, size: size, pipeline: pipeline, batch: batch, duration: duration,
                                    recorded: recorder.merged(), sent: total.sent, lost: total.lost, late: total.late,
                                    errors: errors, mismatches: total.mismatches, maxLossPercent: maxLossPercent)
        report.serverCPUSeconds = await serverCPU?.value
        return report
    }

    /// CPU seconds `pid` used between `from` and `until` (nil when unreadable).
    private static func cpuSeconds(of pid: Int32, from: Deadline, until: Deadline) async -> Double? {
        try? await Task.sleep(for: from - Deadline.now)
        guard let start = ProcessCPU.seconds(of: pid) else { return nil }
        try? await Task.sleep(for: until - Deadline.now)
        return ProcessCPU.seconds(of: pid).map { $0 - start }
    }

    /// Opens `count` connected UDP sockets to `text` over the reactors of `group`, and checks
    /// that each gets one datagram echoed (so a missing server fails here, clearly); on the
    /// first failure closes them all and throws it.
    static func openFlows(_ count: Int, to text: String, group: ReactorGroup) async throws -> [UDPConn] {
        guard let address = try await SocketAddress.resolve(text).first else {
            throw NetError(.resolution("no address"), operation: "resolve", address: text)
        }
        var conns: [UDPConn] = []
        do {
            for _ in 0..<count {
                conns.append(try await UDPConn.connect(to: address, on: group.next()))
            }
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for conn in conns {
                    tasks.addTask(executorPreference: conn.reactor) { try await handshake(conn) }
                }
                try await tasks.waitForAll()
            }
        } catch {
            conns.forEach { $0.close() }
            throw error
        }
        return conns
    }

    /// One datagram out and its echo back, retried a few times (UDP may drop one).
    private static func handshake(_ conn: UDPConn) async throws {
        let until = Deadline.now + udpHandshakeTimeout
        while true {
            try await conn.write(ByteBuffer(string: "hello"))
            conn.setReadDeadline(min(until, .now + .milliseconds(200)))
            var buffer = ByteBuffer()
            do {
                _ = try await conn.read(into: &buffer)
                conn.setReadDeadline(nil)
                return
            } catch let error as NetError where error.isTimeout && !until.hasPassed {
                continue
            }
        }
    }
}
