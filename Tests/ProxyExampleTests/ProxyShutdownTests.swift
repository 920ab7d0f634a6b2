import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// Shutdown while clients wait for an upstream that is down: no redial once the proxy is
/// stopping, and the process exits with status 0 within the drain timeout + 2 s of SIGTERM.
@Suite struct ProxyShutdownTests {
    /// How the upstream is down: nothing listens (connects are refused at once, clients wait in
    /// the backoff between rounds), or it never answers (connects hang until their timeout).
    enum DownUpstream: String, CaseIterable, Sendable {
        case refusing
        case silent
    }

    static let drainTimeout = 2.0

    @Test(arguments: ["handler", "async"], DownUpstream.allCases)
    func drainWithUpstreamDownEndsInTime(api: String, upstream: DownUpstream) async throws {
        try await withReactorGroup(timeout: 90) { group in
            if upstream == .silent {
                let blackhole = try await Blackhole.make(group: group)
                defer { blackhole.close() }
                try await Self.drain(api: api, upstream: upstream, upstreamPort: blackhole.address.port ?? 0, group: group)
            } else {
                try await withRefusingPort { port in
                    try await Self.drain(api: api, upstream: upstream, upstreamPort: port, group: group)
                }
            }
        }
    }

    /// Starts the proxy in front of `upstreamPort`, connects 20 clients, sends SIGTERM and checks
    /// the exit, the time it took and the totals.
    static func drain(api: String, upstream: DownUpstream, upstreamPort: UInt16, group: ReactorGroup) async throws {
        // Many attempts with backoff (refusing), or one long connect (silent): either way a
        // client would wait far longer than the drain for its upstream.
        let waiting = upstream == .refusing ? ["--retries", "1000"] : ["--connect-timeout", "60"]
        let (proxy, port) = try await ExampleProcess.proxy(
            upstreams: [upstreamPort],
            ["--api", api, "--drain-timeout", "\(Self.drainTimeout)"] + waiting)
        let baseline = try proxy.openDescriptorCount()
        let clients = try await (0..<20).asyncMap { _ in try await Dialer().dial(.loopbackIPv4(port: port), group: group) }
        defer { clients.forEach { $0.close() } }
        // Clients accepted (and waiting for their upstream) before the signal. The count of
        // descriptors includes upstream attempts in flight, so a client may still be in the
        // accept queue when it is reached: the totals below count the accepted ones.
        try await waitUntil(within: 20) { try proxy.openDescriptorCount() >= baseline + 20 }
        let signalled = ContinuousClock.now
        proxy.send(SIGTERM)
        let status = try await proxy.waitForExit(within: 30)
        let seconds = secondsSince(signalled)
        #expect(status == 0, "\(proxy.printed)")
        #expect(seconds < Self.drainTimeout + 2, "exited \(seconds) s after SIGTERM:\n\(proxy.printed)")
        #expect(!proxy.printed.contains("still closing"), "\(proxy.printed)")
        // Each accepted client gave up at the signal, counted as refused while draining, and
        // none was paired with an upstream.
        let totals = try proxy.totals()
        let accepted = totals["accepted"] ?? 0
        #expect(accepted > 0 && accepted <= 20, "\(proxy.printed)")
        #expect(totals["refused_draining"] == accepted && totals["paired"] == 0, "\(proxy.printed)")
        // Every client was closed by the proxy (end of stream or reset, not left hanging).
        for client in clients { _ = try await client.readUntilClosed() }
    }
}
