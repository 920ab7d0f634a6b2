import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// `--tcp-keepalive` and `--tcp-user-timeout`: the start line shows the effective options, bad
/// values are refused, and over a loopback that drops the peer's packets (a network namespace
/// with an nftables rule; root only, skipped otherwise) the server notices the dead peer within
/// the bounds and logs the connection's end with ETIMEDOUT.
@Suite struct DeadPeerTests {
    /// Added to the detection bounds: the kernel gives up on time, but on a loaded machine the
    /// server process (and this test's polling of its output) may run seconds late. Alone,
    /// detection takes the bound or less (the measured time is printed).
    static let loadAllowance = 10.0

    @Test func startLineShowsTheEffectiveOptions() async throws {
        let (server, _) = try await ExampleProcess.echoServer(["--tcp-keepalive", "30", "--tcp-user-timeout", "2.5"])
        #expect(server.printed.contains("tcp-keepalive 30s/10s x3, tcp-user-timeout 2.5s"))
        #expect(try await server.stop() == 0)
        let (plain, _) = try await ExampleProcess.echoServer(["--tcp-keepalive", "2"])
        #expect(plain.printed.contains("tcp-keepalive 2s/1s x3, tcp-user-timeout off"))
        #expect(try await plain.stop() == 0)
    }

    @Test(arguments: [["--tcp-keepalive", "-1"], ["--tcp-keepalive", "40000"], ["--tcp-user-timeout", "-1"],
                      ["--tcp-user-timeout", "0.0001"]])
    func badValuesAreRefused(arguments: [String]) async throws {
        let server = try ExampleProcess("EchoExample", arguments: ["serve", "--listen", "127.0.0.1:0"] + arguments)
        #expect(try await server.waitForExit() != 0)
        #expect(server.printed.contains(arguments[0]))
    }

    /// The echo server and an idle client (socat) in a namespace; then every packet of the
    /// connection is dropped. Keepalive (1 s idle, 1 s interval, 3 probes) must close it within
    /// 1 + 3 × 1 + 1 s of the drop (the connection was idle since before it).
    @Test(arguments: ["async", "handler"])
    func keepAliveClosesTheConnectionOfAVanishedPeer(api: String) async throws {
        guard DropNamespace.findProgram("socat") != nil else { return print("skipped: needs socat") }
        try await DropNamespace.with("ka-\(api)") { namespace in
            let server = try namespace.start(ExampleProcess.executable("EchoExample").path, [
                "serve", "--listen", "127.0.0.1:0", "--api", api, "--tcp-keepalive", "1", "--log-level", "debug",
            ])
            defer { server.send(SIGKILL) }
            let port = try await server.listeningPort()
            let client = try namespace.start("socat", ["TCP:127.0.0.1:\(port)", "PIPE"])
            defer { client.send(SIGKILL) }
            try await server.waitForOutput(containing: "connection opened")
            try await namespace.drop("tcp sport \(port) drop")
            try await namespace.drop("tcp dport \(port) drop")
            let dropped = ContinuousClock.now
            try await server.waitForOutput(containing: "connection timed out", within: 20)
            let seconds = secondsSince(dropped)
            print("keepalive detection: \(seconds) s (bound 1 + 3 × 1 + 1 s)")
            #expect(seconds <= 1 + 3 * 1 + 1 + DeadPeerTests.loadAllowance, "keepalive took \(seconds) s")
            let closed = server.lines.first { $0.contains("connection closed") }
            #expect(closed?.contains("read tcp 127.0.0.1:\(port)->127.0.0.1:") == true, "\(server.printed)")
            #expect(try await server.stop() == 0)
        }
    }

    /// The server's packets to the client (all but the handshake's) are dropped, so what it
    /// echoes is never acknowledged while the client (socat reading /dev/zero) keeps sending: a
    /// 2 s user timeout must close the connection within 2 + 1 s of its start.
    @Test(arguments: ["async", "handler"])
    func userTimeoutClosesTheConnectionOfAPeerThatStopsAcknowledging(api: String) async throws {
        guard DropNamespace.findProgram("socat") != nil else { return print("skipped: needs socat") }
        try await DropNamespace.with("ut-\(api)") { namespace in
            let server = try namespace.start(ExampleProcess.executable("EchoExample").path, [
                "serve", "--listen", "127.0.0.1:0", "--api", api, "--tcp-user-timeout", "2", "--log-level", "debug",
            ])
            defer { server.send(SIGKILL) }
            let port = try await server.listeningPort()
            try await namespace.drop("tcp sport \(port) tcp flags & syn == 0 drop")
            let client = try namespace.start("socat", ["-u", "OPEN:/dev/zero", "TCP:127.0.0.1:\(port)"])
            defer { client.send(SIGKILL) }
            try await server.waitForOutput(containing: "connection opened")
            let opened = ContinuousClock.now
            try await server.waitForOutput(containing: "connection timed out", within: 20)
            let seconds = secondsSince(opened)
            print("user timeout detection: \(seconds) s (bound 2 + 1 s)")
            #expect(seconds <= 2 + 1 + DeadPeerTests.loadAllowance, "the user timeout took \(seconds) s")
            let closed = server.lines.first { $0.contains("connection closed") }
            #expect(closed?.contains("tcp 127.0.0.1:\(port)->127.0.0.1:") == true, "\(server.printed)")
            #expect(try await server.stop() == 0)
        }
    }
}
