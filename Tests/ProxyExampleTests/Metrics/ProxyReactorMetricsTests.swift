import EventLoop
import EventLoopTesting
import Testing
@testable import ProxyExample

/// The proxy's metrics page carries the reactor statistics, one series per reactor, next to
/// its own metrics (whose names do not change).
@Suite struct ProxyReactorMetricsTests {
    @Test func thePageHasTheReactorSeries() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let metrics = ProxyMetrics(upstreams: ["127.0.0.1:9"], reactors: group)
            let pair = try await LoopbackPair.make(group: group)
            try await pair.client.write(Array("ping\n".utf8))
            var buffer = ByteBuffer(capacity: 64)
            _ = try await pair.server.read(into: &buffer)
            let lines = metrics.render().split(separator: "\n").map(String.init)
            #expect(lines.contains("proxy_connections_total 0"))
            for reactor in group.reactors {
                let events = lines.first { $0.hasPrefix(#"eventloop_reactor_events_total{reactor="\#(reactor.name)"}"#) }
                #expect(events != nil, "events of \(reactor.name)")
                #expect(lines.contains { $0.hasPrefix(#"eventloop_reactor_open_sockets{reactor="\#(reactor.name)"}"#) })
                #expect(lines.contains { $0.hasPrefix(#"eventloop_reactor_stalls_total{reactor="\#(reactor.name)"}"#) })
            }
            let total = lines.filter { $0.hasPrefix("eventloop_reactor_events_total{") }
                .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
            #expect(total > 0, "the traffic was counted")
            pair.close()
        }
    }
}
