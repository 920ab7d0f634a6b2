import TestSupport
import EventLoop
import EventLoopTesting
import Testing

/// Thousands of connections held open at once by an in-process server, every one echoing with
/// every byte checked by the client: `EchoExample bench` in a child process (its own fd limit).
/// 9,000 by default (see ``StressScale``): 19,000 fit the limit but take about 10 s to open on
/// two cores even before the suite runs it three times.
@Suite struct ConnectionsUpToTheFdLimitTests {
    @Test func thousandsOfConcurrentConnectionsEchoEveryByte() async throws {
        let connections = StressScale.connections
        try await withReactorGroup(reactors: 2, timeout: 240) { group in
            let server = try await EchoServer(group: group, backlog: 4096)
            let client = try ExampleProcess("EchoExample", arguments: [
                "bench", "--connect", "127.0.0.1:\(server.port)", "-c", "\(connections)",
                "-s", "512", "-p", "1", "-d", StressScale.underSanitizer ? "8" : "5", "--warmup", "0.5", "--threads", "2",
            ])
            let status = try await client.waitForExit(within: 180)
            let result = client.printed.split(separator: "\n").last { $0.hasPrefix("RESULT") } ?? "no RESULT line"
            #expect(status == 0, "bench exited with \(status):\n\(client.printed.suffix(2_000))")
            #expect(result.contains("status=ok") && result.contains("errors=0") && result.contains("mismatches=0"), "\(result)")
            // The server held them all at once (bench opens every connection before sending; under
            // a sanitizer the server accepts slowly, so the run is long enough for it to catch up).
            #expect(server.peak.load(ordering: .relaxed) >= connections, "peak \(server.peak.load(ordering: .relaxed)) of \(connections)")
            try await waitUntil(within: 30) { server.open.load(ordering: .relaxed) == 0 }
            #expect(server.served.load(ordering: .relaxed) == connections)
            await server.close()
        }
    }
}
