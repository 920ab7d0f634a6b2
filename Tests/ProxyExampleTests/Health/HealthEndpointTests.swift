import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// The metrics listener's `/healthz`, `/readyz`, `/metrics` (build info, live byte counters)
/// and 404s.
@Suite struct HealthEndpointTests {
    @Test func healthReadyBuildInfoAndUnknownPaths() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let echo = try await TestUpstream.echo(group: group)
            defer { echo.close() }
            let (proxy, port) = try await ExampleProcess.proxy(
                upstreams: [echo.port], ["--metrics-listen", "127.0.0.1:0", "--drain-timeout", "30"])
            let metricsPort = try await proxy.metricsPort()
            let health = try await ProxyOperationsTests.get("/healthz", port: metricsPort, group: group)
            #expect(health.hasPrefix("HTTP/1.1 200 OK\r\n") && health.hasSuffix("\r\n\r\nok\n"))
            let ready = try await ProxyOperationsTests.get("/readyz", port: metricsPort, group: group)
            #expect(ready.hasPrefix("HTTP/1.1 200 OK\r\n") && ready.hasSuffix("\r\n\r\nready\n"))
            let missing = try await ProxyOperationsTests.get("/nope", port: metricsPort, group: group)
            #expect(missing.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
            let page = try await ProxyOperationsTests.get("/metrics", port: metricsPort, group: group)
            #expect(page.contains("proxy_build_info{version=\""), "\(page)")
            // Draining (a pair keeps the proxy in its drain): not ready, still healthy.
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { client.close() }
            #expect(try await client.exchange("hi") == "hi")
            proxy.send(SIGTERM)
            try await proxy.waitForOutput(containing: "stopped accepting")
            let draining = try await ProxyOperationsTests.get("/readyz", port: metricsPort, group: group)
            #expect(draining.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n") && draining.hasSuffix("\r\n\r\ndraining\n"), "\(draining)")
            let stillHealthy = try await ProxyOperationsTests.get("/healthz", port: metricsPort, group: group)
            #expect(stillHealthy.hasPrefix("HTTP/1.1 200 OK\r\n"))
            try await client.closeWrite()
            _ = try await client.readUntilClosed()
            #expect(try await proxy.waitForExit() == 0)
        }
    }

    /// The value of `proxy_bytes_total` for `direction` and the upstream `label` (either label order).
    static func bytes(in page: String, _ direction: String, _ label: String) -> Int? {
        let names = ["proxy_bytes_total{direction=\"\(direction)\",\(label)} ", "proxy_bytes_total{\(label),direction=\"\(direction)\"} "]
        for line in page.split(separator: "\n") {
            for name in names where line.hasPrefix(name) { return Int(line.dropFirst(name.count)) }
        }
        return nil
    }

    /// `proxy_bytes_total` advances while a pair is still open (folded every half second).
    @Test(arguments: ["handler", "async"])
    func byteCountersAdvanceDuringATransfer(api: String) async throws {
        try await withReactorGroup(timeout: 60) { group in
            let echo = try await TestUpstream.echo(group: group)
            defer { echo.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [echo.port], ["--metrics-listen", "127.0.0.1:0", "--api", api])
            let metricsPort = try await proxy.metricsPort()
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { client.close() }
            let size = 300_000
            async let echoed = client.readExactlyBuffer(size)
            try await client.write(patternBuffer(size: size))
            _ = try await echoed
            let label = "upstream=\"127.0.0.1:\(echo.port)\""
            // The pair is still open: the counters show the bytes all the same.
            try await waitUntil(within: 30) {
                let page = try await ProxyOperationsTests.get("/metrics", port: metricsPort, group: group)
                return Self.bytes(in: page, "client_to_upstream", label) == size && Self.bytes(in: page, "upstream_to_client", label) == size
            }
            // The end adds only what was not folded yet: no double counting.
            try await client.closeWrite()
            _ = try await client.readUntilClosed()
            try await proxy.waitForOutput(containing: "end=client_closed")
            let page = try await ProxyOperationsTests.get("/metrics", port: metricsPort, group: group)
            #expect(Self.bytes(in: page, "client_to_upstream", label) == size)
            #expect(Self.bytes(in: page, "upstream_to_client", label) == size)
            #expect(try await proxy.stop() == 0)
        }
    }
}

extension TCPConn {
    /// Reads exactly `count` bytes.
    func readExactlyBuffer(_ count: Int) async throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try await readExactly(count, into: &buffer)
        return buffer
    }
}
