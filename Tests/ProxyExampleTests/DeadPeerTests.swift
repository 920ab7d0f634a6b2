import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// `--tcp-keepalive` and `--tcp-user-timeout` in the proxy, over a loopback that drops one
/// side's packets (a network namespace with an nftables rule; root only, skipped otherwise):
/// the proxy notices the dead side within the bounds, closes the other side and logs why.
@Suite struct DeadPeerTests {
    /// Added to the detection bounds: the kernel gives up on time, but on a loaded machine the
    /// server process (and this test's polling of its output) may run seconds late. Alone,
    /// detection takes the bound or less (the measured time is printed).
    static let loadAllowance = 10.0

    /// The proxy, an echo upstream and a client (socat with `clientArguments`) in `namespace`.
    static func start(in namespace: DropNamespace, api: String, proxyArguments: [String],
                      client clientArguments: (UInt16) -> [String]) async throws -> (proxy: ExampleProcess, upstream: ExampleProcess,
                                                                                     client: ExampleProcess, ports: (proxy: UInt16, upstream: UInt16)) {
        let upstream = try namespace.start(ExampleProcess.executable("EchoExample").path,
                                           ["serve", "--listen", "127.0.0.1:0", "--log-level", "debug"])
        let upstreamPort = try await upstream.listeningPort()
        let proxy = try namespace.start(ExampleProcess.executable("ProxyExample").path, [
            "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:\(upstreamPort)", "--api", api, "--log-level", "debug",
        ] + proxyArguments)
        let proxyPort = try await proxy.listeningPort()
        let client = try namespace.start("socat", clientArguments(proxyPort))
        return (proxy, upstream, client, (proxyPort, upstreamPort))
    }

    /// The client vanishes (all its packets dropped) while the pair is idle: keepalive (1 s,
    /// 1 s, 3 probes) closes it within 1 + 3 × 1 + 1 s and the upstream side is closed too.
    @Test(arguments: ["async", "handler"])
    func keepAliveEndsThePairOfAVanishedClient(api: String) async throws {
        guard DropNamespace.findProgram("socat") != nil else { return print("skipped: needs socat") }
        try await DropNamespace.with("pka-\(api)") { namespace in
            let (proxy, upstream, client, ports) = try await Self.start(in: namespace, api: api, proxyArguments: ["--tcp-keepalive", "1"]) {
                ["TCP:127.0.0.1:\($0)", "PIPE"]
            }
            defer { client.send(SIGKILL); proxy.send(SIGKILL); upstream.send(SIGKILL) }
            #expect(proxy.printed.contains("tcp-keepalive 1s/1s x3, tcp-user-timeout off"))
            try await proxy.waitForOutput(containing: "pair opened")
            try await upstream.waitForOutput(containing: "connection opened")
            try await namespace.drop("tcp sport \(ports.proxy) drop")
            try await namespace.drop("tcp dport \(ports.proxy) drop")
            let dropped = ContinuousClock.now
            try await proxy.waitForOutput(containing: "pair closed: keepalive timeout", within: 20)
            let seconds = secondsSince(dropped)
            print("keepalive detection: \(seconds) s (bound 1 + 3 × 1 + 1 s)")
            #expect(seconds <= 1 + 3 * 1 + 1 + DeadPeerTests.loadAllowance, "keepalive took \(seconds) s")
            let line = proxy.lines.first { $0.contains("pair closed: keepalive timeout") }
            #expect(line?.contains("side=client") == true, "\(proxy.printed)")
            #expect(line?.contains("connection timed out") == true, "\(proxy.printed)")
            // The other side was closed with it.
            try await upstream.waitForOutput(containing: "connection closed", within: 30)
            #expect(try await proxy.stop() == 0)
        }
    }

    /// The upstream stops acknowledging (its packets to the proxy, but for the handshake, are
    /// dropped) while the client keeps sending: a 2 s user timeout ends the pair within 2 + 1 s
    /// of its start, says so and closes the client.
    @Test(arguments: ["async", "handler"])
    func userTimeoutEndsThePairOfAnUpstreamThatStopsAcknowledging(api: String) async throws {
        guard DropNamespace.findProgram("socat") != nil else { return print("skipped: needs socat") }
        try await DropNamespace.with("put-\(api)") { namespace in
            let upstream = try namespace.start(ExampleProcess.executable("EchoExample").path,
                                               ["serve", "--listen", "127.0.0.1:0", "--log-level", "debug"])
            defer { upstream.send(SIGKILL) }
            let upstreamPort = try await upstream.listeningPort()
            try await namespace.drop("tcp sport \(upstreamPort) tcp flags & syn == 0 drop")
            let proxy = try namespace.start(ExampleProcess.executable("ProxyExample").path, [
                "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:\(upstreamPort)", "--api", api,
                "--tcp-user-timeout", "2", "--log-level", "debug",
            ])
            defer { proxy.send(SIGKILL) }
            let proxyPort = try await proxy.listeningPort()
            let client = try namespace.start("socat", ["-u", "OPEN:/dev/zero", "TCP:127.0.0.1:\(proxyPort)"])
            defer { client.send(SIGKILL) }
            try await proxy.waitForOutput(containing: "pair opened")
            let opened = ContinuousClock.now
            try await proxy.waitForOutput(containing: "pair closed: user timeout", within: 20)
            let seconds = secondsSince(opened)
            print("user timeout detection: \(seconds) s (bound 2 + 1 s)")
            #expect(seconds <= 2 + 1 + DeadPeerTests.loadAllowance, "the user timeout took \(seconds) s")
            let line = proxy.lines.first { $0.contains("pair closed: user timeout") }
            #expect(line?.contains("side=upstream") == true, "\(proxy.printed)")
            // The client's side was closed with it: socat ends.
            #expect(try await client.waitForExit(within: 30) >= 0)
            #expect(try await proxy.stop() == 0)
        }
    }
}
