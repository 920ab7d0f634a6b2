import Testing
@testable import ProxyExample

@Suite struct ProxyMetricsTests {
    @Test func renderHasEveryMetric() {
        let metrics = ProxyMetrics(upstreams: ["10.0.0.1:6379"])
        metrics.connectionOpened()
        metrics.connectionOpened()
        metrics.connectionClosed(seconds: 1.5)
        metrics.refused(.rate)
        metrics.refused(.denied)
        metrics.refused(.denied)
        let first = metrics.upstreamMetrics("10.0.0.1:6379")
        let second = metrics.upstreamMetrics("10.0.0.2:6379")
        first.bytes(clientToUpstream: 100, upstreamToClient: 2500)
        second.connectFailed()
        first.connected(seconds: 0.002)
        second.setUp(false)
        first.pairOpened()
        first.pairOpened()
        first.pairClosed()
        let text = metrics.render()
        let lines = Set(text.split(separator: "\n").map(String.init))

        #expect(lines.contains("# TYPE proxy_connections_active gauge"))
        #expect(lines.contains("proxy_connections_active 1.0"))
        #expect(lines.contains("# TYPE proxy_connections_total counter"))
        #expect(lines.contains("proxy_connections_total 2"))
        #expect(lines.contains(#"proxy_refused_total{reason="denied"} 2"#))
        #expect(lines.contains(#"proxy_refused_total{reason="rate"} 1"#))
        #expect(lines.contains(#"proxy_refused_total{reason="max_conns"} 0"#))
        #expect(lines.contains(#"proxy_bytes_total{direction="client_to_upstream",upstream="10.0.0.1:6379"} 100"#))
        #expect(lines.contains(#"proxy_bytes_total{direction="upstream_to_client",upstream="10.0.0.1:6379"} 2500"#))
        #expect(lines.contains(#"proxy_upstream_connect_failures_total{upstream="10.0.0.2:6379"} 1"#))
        #expect(lines.contains(#"proxy_upstream_connect_failures_total{upstream="10.0.0.1:6379"} 0"#))
        #expect(lines.contains("# TYPE proxy_upstream_connect_seconds histogram"))
        #expect(lines.contains(#"proxy_upstream_connect_seconds_count{upstream="10.0.0.1:6379"} 1"#))
        #expect(lines.contains("# TYPE proxy_connection_duration_seconds histogram"))
        #expect(lines.contains("proxy_connection_duration_seconds_count 1"))
        #expect(lines.contains(#"proxy_upstream_up{upstream="10.0.0.1:6379"} 1.0"#))
        #expect(lines.contains(#"proxy_upstream_up{upstream="10.0.0.2:6379"} 0.0"#))
        #expect(lines.contains(#"proxy_upstream_active{upstream="10.0.0.1:6379"} 1.0"#))
    }

    @Test func instancesAreIndependent() {
        let first = ProxyMetrics()
        let second = ProxyMetrics()
        first.connectionOpened()
        #expect(first.render().contains("proxy_connections_total 1"))
        #expect(second.render().contains("proxy_connections_total 0"))
    }

    @Test func upstreamObjectsAreCached() {
        let metrics = ProxyMetrics(upstreams: ["a:1"])
        #expect(metrics.upstreamMetrics("a:1") === metrics.upstreamMetrics("a:1"))
        #expect(metrics.upstreamMetrics("b:2") === metrics.upstreamMetrics("b:2"))
    }
}
