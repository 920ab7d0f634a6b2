import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// Every limit is applied before an upstream is dialled: the refused client is closed at
/// once, counted by reason, and the upstream never sees it.
@Suite struct LimitsTests {
    /// Dials the proxy and says whether it was refused (closed without a byte) or served (the
    /// echo upstream answered).
    static func isRefused(port: UInt16, group: ReactorGroup) async throws -> Bool {
        let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
        defer { client.close() }
        do {
            try await client.write(Array("ping".utf8))
            try await client.closeWrite()
        } catch {
            return true
        }
        // Served: the echo upstream answers and ends the stream after ours.
        let (text, _) = try await client.readUntilClosed()
        return text.isEmpty
    }

    @Test func maxConns() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], ["--max-conns", "2"])
            let first = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            let second = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { first.close(); second.close() }
            #expect(try await first.exchange("one") == "one")
            #expect(try await second.exchange("two") == "two")
            #expect(try await Self.isRefused(port: port, group: group))
            first.close()
            // The slot comes back once the first pair has ended.
            try await waitUntil(within: 30) { try await !Self.isRefused(port: port, group: group) }
            #expect(try await proxy.stop() == 0)
            #expect((try proxy.totals()["refused_max_conns"] ?? 0) >= 1)
        }
    }

    @Test func maxConnsPerIP() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], ["--max-conns-per-ip", "1"])
            let first = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { first.close() }
            #expect(try await first.exchange("one") == "one")
            #expect(try await Self.isRefused(port: port, group: group))
            #expect(try await proxy.stop() == 0)
            #expect(try proxy.totals()["refused_max_conns_per_ip"] == 1)
        }
    }

    @Test func ratePerIP() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], ["--rate-per-ip", "2"])
            var refused = 0
            for _ in 0..<10 where try await Self.isRefused(port: port, group: group) { refused += 1 }
            // A burst of 2 is allowed, then about 2 per second: most of 10 quick ones are refused.
            #expect(refused >= 5, "\(refused) of 10 refused")
            #expect(try await proxy.stop() == 0)
            #expect(try proxy.totals()["refused_rate"] == refused)
        }
    }

    /// `--ip-table-size 1`: while one address has a pair open, a client from another address
    /// is refused (`client_table_full` on the metrics page and in the totals, one warning in the
    /// log); the address already tracked is still served. Clients come from two loopback
    /// addresses (127.0.0.2 and 127.0.0.3).
    @Test func ipTableFullRefusesNewAddresses() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(
                upstreams: [upstream.port],
                ["--ip-table-size", "1", "--max-conns-per-ip", "5", "--ipv6-prefix-len", "64", "--metrics-listen", "127.0.0.1:0"])
            let metricsPort = try await proxy.metricsPort()
            var fromFirst = Dialer()
            fromFirst.localAddress = .ipv4(127, 0, 0, 2, port: 0)
            var fromSecond = Dialer()
            fromSecond.localAddress = .ipv4(127, 0, 0, 3, port: 0)
            let held = try await fromFirst.dial(.loopbackIPv4(port: port), group: group)
            defer { held.close() }
            #expect(try await held.exchange("held") == "held")
            let refused = try await fromSecond.dial(.loopbackIPv4(port: port), group: group)
            defer { refused.close() }
            let (text, _) = try await refused.readUntilClosed()
            #expect(text.isEmpty)
            let again = try await fromFirst.dial(.loopbackIPv4(port: port), group: group)
            defer { again.close() }
            #expect(try await again.exchange("again") == "again")
            let page = try await ProxyOperationsTests.get("/metrics", port: metricsPort, group: group)
            #expect(page.contains("reason=\"client_table_full\"} 1"), "\(page)")
            #expect(page.contains("proxy_rejected_total{reason=\"ip_table_full\"} 1"), "\(page)")
            #expect(try await proxy.stop() == 0)
            #expect(try proxy.totals()["refused_client_table_full"] == 1)
            #expect(proxy.lines.filter { $0.contains("per-IP table is full") }.count == 1, "\(proxy.printed)")
        }
    }

    @Test(arguments: [
        (["--deny", "127.0.0.0/8"], true),
        (["--allow", "10.0.0.0/8"], true),
        (["--allow", "127.0.0.1/32"], false),
        (["--allow", "127.0.0.0/8", "--deny", "127.0.0.1"], true),
    ])
    func allowAndDeny(arguments: [String], refused: Bool) async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], arguments)
            #expect(try await Self.isRefused(port: port, group: group) == refused)
            #expect(try await proxy.stop() == 0)
            #expect(try proxy.totals()["refused_denied"] == (refused ? 1 : nil))
        }
    }

    /// A pair idle in both directions is closed after `--idle-timeout`; one that talks is not.
    @Test func idleTimeout() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], ["--idle-timeout", "3"])
            let idle = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            let busy = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { idle.close(); busy.close() }
            let start = ContinuousClock.now
            #expect(try await idle.exchange("x") == "x")
            async let idleEnded: Double = {
                _ = try await idle.readUntilClosed()
                return secondsSince(start)
            }()
            // The busy pair talks every 100 ms for longer than the timeout (whose length leaves
            // room for a test process on a loaded machine to fall behind by two seconds).
            for round in 0..<45 {
                #expect(try await busy.exchange("\(round)") == "\(round)")
                try await Task.sleep(for: .milliseconds(100))
            }
            let idleFor = try await idleEnded
            #expect(idleFor >= 2.9 && idleFor < 12, "the idle pair ended after \(idleFor) s")
            #expect(try await busy.exchange("still here") == "still here")
            #expect(try await proxy.stop() == 0)
        }
    }

    /// Many clients at once and the fd count back to where it was once they are gone.
    @Test func twoThousandPairsAndNoDescriptorLeft() async throws {
        let pairs = ProxyScale.underSanitizer ? 500 : 2_000
        try await withReactorGroup(reactors: 2, timeout: 120) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port])
            let baseline = try proxy.openDescriptorCount()
            let clients = try await withThrowingTaskGroup(of: TCPConn.self) { dialing in
                for _ in 0..<pairs {
                    dialing.addTask { try await Dialer().dial(.loopbackIPv4(port: port), group: group) }
                }
                return try await dialing.reduce(into: [TCPConn]()) { $0.append($1) }
            }
            try await withThrowingTaskGroup(of: Void.self) { talking in
                for (index, client) in clients.enumerated() {
                    talking.addTask {
                        let text = "pair \(index)"
                        let echoed = try await client.exchange(text)
                        if echoed != text { throw ExampleFailure("pair \(index) got \(echoed)") }
                    }
                }
                try await talking.waitForAll()
            }
            #expect(try proxy.openDescriptorCount() >= baseline + 2 * pairs)
            clients.forEach { $0.close() }
            try await waitUntil(within: 20) { try proxy.openDescriptorCount() <= baseline }
            #expect(try await proxy.stop() == 0)
            #expect(try proxy.totals()["paired"] == pairs)
        }
    }
}
