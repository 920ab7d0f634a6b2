import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// What an operator sees: the metrics page, the config file, the graceful shutdown.
@Suite struct ProxyOperationsTests {
    @Test func metricsPageCountsTraffic() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], ["--metrics-listen", "127.0.0.1:0", "--max-conns", "1"])
            let metricsPort = try await proxy.metricsPort()
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            #expect(try await client.exchange("hello") == "hello")
            #expect(try await LimitsTests.isRefused(port: port, group: group))
            client.close()
            let label = "upstream=\"127.0.0.1:\(upstream.port)\""
            try await waitUntil(within: 30) {
                let page = try await Self.get("/metrics", port: metricsPort, group: group)
                return page.contains("proxy_bytes_total{direction=\"client_to_upstream\",\(label)} 5")
                    || page.contains("proxy_bytes_total{\(label),direction=\"client_to_upstream\"} 5")
            }
            let page = try await Self.get("/metrics", port: metricsPort, group: group)
            for name in ["proxy_connections_active", "proxy_connections_total", "proxy_refused_total",
                         "proxy_upstream_connect_seconds", "proxy_connection_duration_seconds", "proxy_upstream_up"] {
                #expect(page.contains(name), "\(name) missing from:\n\(page)")
            }
            #expect(page.contains("reason=\"max_conns\""))
            #expect(try await proxy.stop() == 0)
        }
    }

    @Test func configFileWithFlagsWinning() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let path = "/tmp/eventloop-proxy-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).conf"
            let text = """
                # test configuration
                listen 127.0.0.1:0
                upstream = 127.0.0.1:\(upstream.port)
                max-conns 1
                log-level info
                """
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            defer { unlink(path) }
            let proxy = try ExampleProcess("ProxyExample", arguments: ["--config", path, "--max-conns", "3"])
            let port = try await proxy.listeningPort()
            let clients = try await (0..<3).asyncMap { _ in try await Dialer().dial(.loopbackIPv4(port: port), group: group) }
            defer { clients.forEach { $0.close() } }
            for client in clients { #expect(try await client.exchange("hi") == "hi") }
            #expect(try await proxy.stop() == 0)
        }
    }

    @Test func badConfigFileIsReportedWithItsLine() async throws {
        let path = "/tmp/eventloop-proxy-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).conf"
        try "listen 127.0.0.1:0\nupstream 127.0.0.1:1\nmax-conn 5\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let proxy = try ExampleProcess("ProxyExample", arguments: ["--config", path])
        #expect(try await proxy.waitForExit() == 1)
        #expect(proxy.printed.contains("\(path):3)"), "\(proxy.printed)")
    }

    /// SIGTERM: new clients are refused at once, an open pair finishes, exit 0.
    @Test func gracefulShutdownLetsAPairFinish() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], ["--drain-timeout", "30"])
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { client.close() }
            #expect(try await client.exchange("before") == "before")
            proxy.send(SIGTERM)
            try await proxy.waitForOutput(containing: "stopped accepting")
            await #expect { try await Dialer().dial(.loopbackIPv4(port: port), group: group) } throws: {
                ($0 as? NetError)?.errno == ECONNREFUSED
            }
            #expect(try await client.exchange("during the drain") == "during the drain")
            #expect(proxy.isRunning)
            try await client.closeWrite()
            _ = try await client.readUntilClosed()
            #expect(try await proxy.waitForExit() == 0)
            #expect(try proxy.totals()["paired"] == 1)
        }
    }

    /// A bare HTTP GET over the library; the whole response body.
    static func get(_ path: String, port: UInt16, group: ReactorGroup) async throws -> String {
        let conn = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
        defer { conn.close() }
        try await conn.write(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        let (text, _) = try await conn.readUntilClosed(limit: 4 << 20)
        return text
    }
}

extension Sequence {
    /// `map` with an async transform, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
