import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// Connect failures, retries across upstreams, and recovery.
@Suite struct UpstreamHealthTests {
    /// With no upstream reachable the client is closed promptly and counted; once an upstream
    /// listens again, the proxy serves through it.
    @Test(arguments: ["handler", "async"])
    func upstreamDownThenUp(api: String) async throws {
        // Two reactors, so the upstream's listener uses SO_REUSEPORT and can share the
        // reserved port.
        try await withReactorGroup(reactors: 2, timeout: 60) { group in
          // A port that refuses, then (same port, still reserved) a listener.
          try await withRefusingPort(reusable: true) { port in
            let (proxy, proxyPort) = try await ExampleProcess.proxy(upstreams: [port], ["--connect-timeout", "1", "--api", api])
            let start = ContinuousClock.now
            let refused = try await Dialer().dial(.loopbackIPv4(port: proxyPort), group: group)
            let (text, _) = try await refused.readUntilClosed()
            refused.close()
            #expect(text.isEmpty)
            #expect(secondsSince(start) < 2, "refused after \(secondsSince(start)) s")
            try await proxy.waitForOutput(containing: "is down")

            let upstream = try await Listener.listen(.loopbackIPv4(port: port), group: group)
            let serving = Task {
                await upstream.serve { conn in
                    defer { conn.close() }
                    _ = try? await conn.write(Array("hello\n".utf8))
                }
            }
            defer { upstream.close() }
            // Served as soon as the back-off lets the proxy try again (1 s after the failure).
            try await waitUntil(within: 30) {
                let client = try await Dialer().dial(.loopbackIPv4(port: proxyPort), group: group)
                defer { client.close() }
                let answered = try await client.readUntilClosed().text
                if answered.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
                return answered == "hello\n"
            }
            try await proxy.waitForOutput(containing: "is up")
            upstream.close()
            _ = await serving.value
            #expect(try await proxy.stop() == 0)
            let totals = try proxy.totals()
            #expect((totals["refused_no_upstream"] ?? 0) >= 1)
          }
        }
    }

    /// One upstream refuses: every client is still served by the other (retried before any
    /// byte reached an upstream).
    @Test(arguments: ["handler", "async"])
    func aDownUpstreamIsSkipped(api: String) async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            try await withRefusingPort { down in
                let (proxy, port) = try await ExampleProcess.proxy(upstreams: [down, upstream.port], ["--api", api])
                for round in 0..<10 {
                    let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
                    defer { client.close() }
                    #expect(try await client.exchange("round \(round)") == "round \(round)")
                }
                #expect(try await proxy.stop() == 0)
                let totals = try proxy.totals()
                #expect(totals["paired"] == 10)
                // Skipped during its back-off (1 s, then 2 s): one failure, or a few more when a
                // loaded machine makes the ten rounds outlast the back-offs.
                let failures = totals["upstream_failures"] ?? 0
                #expect(failures >= 1 && failures <= 3, "\(failures) upstream failures")
            }
        }
    }

    /// An upstream that never accepts (its backlog is full): the connect times out after
    /// `--connect-timeout` and the client is closed.
    @Test func connectTimeout() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let hole = try await Blackhole.make(group: group)
            defer { hole.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [hole.address.port ?? 0], ["--connect-timeout", "0.5", "--retries", "1"])
            let start = ContinuousClock.now
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { client.close() }
            _ = try await client.readUntilClosed()
            let elapsed = secondsSince(start)
            #expect(elapsed >= 0.4 && elapsed < 20, "closed after \(elapsed) s")
            #expect(try await proxy.stop() == 0)
            #expect(try proxy.totals()["refused_no_upstream"] == 1)
        }
    }
}
