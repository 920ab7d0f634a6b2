import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// `serve --metrics HOST:PORT` serves the reactors' statistics as a Prometheus page.
@Suite struct MetricsFlagTests {
    @Test func metricsPageHasTheReactorSeries() async throws {
        let (server, port) = try await ExampleProcess.echoServer(["--threads", "2", "--metrics", "127.0.0.1:0"])
        do {
            let metricsPort = try await server.port(after: "metrics at http://")
            try await withReactorGroup { group in
                let conn = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
                _ = try await conn.exchange("hello\n", expecting: "hello\n")
                conn.close()
                let page = try await Self.get("/metrics", port: metricsPort, group: group)
                Self.expectReactorSeries(in: page, reactors: ["reactor-0", "reactor-1"])
            }
        } catch {
            _ = try? await server.stop(signal: SIGKILL)
            throw error
        }
        #expect(try await server.stop() == 0)
    }

    @Test func aBadMetricsAddressIsRefused() async throws {
        let server = try ExampleProcess("EchoExample", arguments: ["serve", "--listen", "127.0.0.1:0", "--metrics", "nonsense"])
        #expect(try await server.waitForExit() != 0)
    }

    /// Checks the page's status and its reactor series, and that some events were counted.
    static func expectReactorSeries(in page: String, reactors: [String]) {
        #expect(page.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(page.prefix(200))")
        let lines = page.split(separator: "\n").map(String.init)
        for reactor in reactors {
            for series in ["events_total", "open_sockets", "stalls_total", "tasks_total"] {
                let prefix = "eventloop_reactor_\(series){reactor=\"\(reactor)\"}"
                #expect(lines.contains { $0.hasPrefix(prefix) }, "\(prefix) in \(page)")
            }
        }
        var events = 0.0
        for line in lines where line.hasPrefix("eventloop_reactor_events_total{") {
            events += Double(line.split(separator: " ").last ?? "") ?? 0
        }
        #expect(events > 0, "the echoed message was counted")
    }

    /// The whole answer to `GET path` on 127.0.0.1:`port` (the server closes after it).
    static func get(_ path: String, port: UInt16, group: ReactorGroup) async throws -> String {
        let conn = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
        defer { conn.close() }
        try await conn.write(Array("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        return try await conn.readUntilClosed().text
    }
}
