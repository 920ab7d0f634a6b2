import EventLoop
import EventLoopTLS
import ExampleSupport

/// `bench --tls` and `bench --reconnect`: the client configuration from the flags and the
/// reconnecting run.
extension BenchCommand {
    /// The client configuration from `--tls`, `--tls-ca`, `--tls-insecure`, `--tls-sni` and
    /// `--tls-resume`, or nil without `--tls`.
    func tlsConfiguration() -> TLSConfiguration? {
        guard tls else { return nil }
        var configuration = TLSConfiguration.client(serverName: tlsSNI ?? Self.hostName(in: connect),
                                                    trustRoots: tlsCA.map { .file($0) } ?? .system)
        configuration.verifiesPeer = !tlsInsecure
        configuration.sessionResumption = tlsResume
        if tlsResume { configuration.sessionCache = TLSSessionCache() }
        return configuration
    }

    /// The host of `HOST:PORT` when it is a name (not an IP address or a Unix path), else nil.
    static func hostName(in text: String) -> String? {
        guard !text.hasPrefix("unix:"), !text.hasPrefix("["), let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[..<colon])
        if host.isEmpty || (try? SocketAddress(host + ":0")) != nil { return nil }
        return host
    }

    /// The first line of a run.
    func headline(threads: Int) -> String {
        "bench \(connect): \(connections) connections\(tls ? " (tls)" : "")\(reconnect ? ", reconnecting after every message" : ""),"
            + " \(size) B messages, pipeline \(pipeline),"
            + " \(BenchReport.format(duration)) s after \(BenchReport.format(warmup)) s warm-up, \(threads) threads"
    }

    /// `--reconnect`: `-c` slots, each dialling, echoing one message and closing, again until
    /// the measured window ends; reports handshakes (new connections) per second.
    func measureReconnecting(on group: ReactorGroup, connector: BenchConnector) async throws -> BenchReport {
        // One connection first: a server that is not there fails the run as a connect error.
        if tls { try await connector.dialTLS(on: group.next()).close() } else { try await connector.dialTCP(on: group.next()).close() }
        standardOutput(headline(threads: group.reactors.count))
        let measureFrom = Deadline.now + .seconds(warmup)
        let stopSending = measureFrom + .seconds(duration)
        let recorder = LatencyRecorder(group: group, measuring: measureFrom, until: stopSending)
        let plan = LoadClient.Plan(size: size, pipeline: 1, stopSending: stopSending.nanoseconds, hardDeadline: stopSending + Self.drainTime)
        let tlsCounter = ReconnectClient<TLSConn>.Counter(measuring: measureFrom, until: stopSending)
        let tcpCounter = ReconnectClient<TCPConn>.Counter(measuring: measureFrom, until: stopSending)
        var errors = 0
        var mismatches = 0
        await withTaskGroup(of: LoadClient.Outcome.self) { tasks in
            for index in 0..<connections {
                let reactor = group.next()
                let shard = recorder.shardIndex(for: reactor)
                let stream = PatternStream(connection: index)
                if tls {
                    let client = ReconnectClient(dial: { try await connector.dialTLS(on: reactor) }, stream: stream, plan: plan,
                                                 recorder: recorder, counter: tlsCounter, shard: shard)
                    tasks.addTask(executorPreference: reactor) { await client.run() }
                } else {
                    let client = ReconnectClient(dial: { try await connector.dialTCP(on: reactor) }, stream: stream, plan: plan,
                                                 recorder: recorder, counter: tcpCounter, shard: shard)
                    tasks.addTask(executorPreference: reactor) { await client.run() }
                }
            }
            for await outcome in tasks {
                if let error = outcome.error {
                    if errors < 5 { standardError("bench: connection error: \(error)\n") }
                    errors += 1
                }
                if let mismatch = outcome.mismatch {
                    if mismatches < 5 { standardError("bench: mismatch: \(mismatch)\n") }
                    mismatches += 1
                }
            }
        }
        var report = BenchReport(connections: connections, size: size, pipeline: 1, duration: duration,
                                 recorded: recorder.merged(), errors: errors, mismatches: mismatches)
        report.reconnects = (connections: tlsCounter.connections + tcpCounter.connections, resumed: tlsCounter.resumed)
        return report
    }
}
