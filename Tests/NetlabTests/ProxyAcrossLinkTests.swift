import EventLoopTesting
import Foundation
import Glibc
import TestSupport
import Testing

extension NetlabTests {
    /// ProxyExample with its upstream across the shaped link (the proxy and its client on the
    /// client side, the upstream on the server side).
    @Suite struct ProxyAcrossLink {
        /// 64 MiB of random bytes from a client through the proxy to an upstream that hashes
        /// what it receives and, after the client's half-close, answers with the digest: the
        /// digest coming back proves every byte arrived in order and the half-close was carried.
        @Test(.timeLimit(.minutes(3)))
        func carries64MiBIntactAndHalfCloses() async throws {
            let files = try TestFiles()
            defer { files.remove() }
            let megabytes = NetlabScale.megabytes
            let data = try await files.random(megabytes: megabytes)
            let expected = try await sha256(ofFile: data)
            try await withNetlab { lab in
                let upstream = try lab.spawn(in: lab.serverSide, Tools.socat,
                                             ["-d", "-d", "-t", "30", "TCP-LISTEN:0,bind=\(Netlab.serverAddress)", "EXEC:sha256sum"])
                let upstreamPort = try await upstream.port(after: "listening on", host: Netlab.serverAddress)
                let proxy = try lab.example("ProxyExample", in: lab.clientSide,
                                            ["--listen", "127.0.0.1:0", "--upstream", "\(Netlab.serverAddress):\(upstreamPort)", "--threads", "2"])
                let port = try await proxy.listeningPort()
                let idle = proxy.openSockets
                let start = ContinuousClock.now
                let client = try lab.shell(in: lab.clientSide, "\(Tools.socat) -t 60 STDIO TCP:127.0.0.1:\(port) < \(data)")
                let status = try await client.waitForExit(within: 150)
                let elapsed = seconds(since: start)
                print("netlab: \(megabytes) MiB through the proxy across the shaped link in \(String(format: "%.1f", elapsed)) s"
                      + " (\(String(format: "%.1f", Double(megabytes) * 8 * 1.048576 / elapsed)) Mbit/s)")
                #expect(status == 0, "client: \(client.printed)")
                #expect(client.printed.contains(expected), "the upstream's digest of what it received: \(client.printed), sent \(expected)")
                #expect(try await upstream.waitForExit(within: 30) == 0, "upstream: \(upstream.printed)")
                try await waitForSockets(of: proxy, atMost: idle, within: 30)
                #expect(try await proxy.stop() == 0)
                let totals = try proxy.totals()
                #expect(totals["bytes_up"] == megabytes << 20, "\(totals)")
                #expect(totals["bytes_down"] == 64 + 4, "the digest line (64 hex digits, two spaces, '-', newline): \(totals)")
            }
        }

        /// The upstream vanishes (blackholed) while the proxy is sending to it: the user timeout
        /// (2 s) ends the upstream connection, and the proxy closes its client at once, freeing
        /// both descriptors.
        @Test(.timeLimit(.minutes(1)), .enabled(if: Tools.examplesHaveDeadPeerFlags, "needs the examples' --tcp-keepalive and --tcp-user-timeout"))
        func upstreamVanishingMidTransferClosesTheClientPromptly() async throws {
            try await withNetlab(Netlab.lossless) { lab in
                let upstream = try lab.spawn(in: lab.serverSide, Tools.socat,
                                             ["-d", "-d", "-u", "TCP-LISTEN:0,bind=\(Netlab.serverAddress)", "OPEN:/dev/null"])
                let upstreamPort = try await upstream.port(after: "listening on", host: Netlab.serverAddress)
                let proxy = try lab.example("ProxyExample", in: lab.clientSide,
                                            ["--listen", "127.0.0.1:0", "--upstream", "\(Netlab.serverAddress):\(upstreamPort)",
                                             "--threads", "1", "--tcp-user-timeout", "2"])
                let port = try await proxy.listeningPort()
                let idle = proxy.openSockets
                let client = try lab.spawn(in: lab.clientSide, Tools.socat, ["-u", "OPEN:/dev/zero", "TCP:127.0.0.1:\(port)"])
                try await waitUntil(within: 20) { proxy.unacknowledgedBytes(port: upstreamPort) > 64 << 10 }
                try await lab.blackhole(true)
                let start = ContinuousClock.now
                try await client.waitForExit(within: 20)
                let closed = seconds(since: start)
                print("netlab: upstream blackholed mid-transfer; the proxy's client was closed after \(String(format: "%.2f", closed)) s")
                #expect(closed <= 2 + 1, "user timeout 2 s + 1 s")
                try await waitForSockets(of: proxy, atMost: idle, within: 2)
                #expect(try await proxy.stop() == 0)
                _ = try? await upstream.stop(signal: SIGKILL)
            }
        }

        /// The proxy's client vanishes (blackholed) while idle: keepalive (idle 1 s, probes every
        /// second) ends it within idle + 3 × interval + 1 s, and both the client's and the
        /// upstream's descriptors are freed.
        @Test(.timeLimit(.minutes(1)), .enabled(if: Tools.examplesHaveDeadPeerFlags, "needs the examples' --tcp-keepalive and --tcp-user-timeout"))
        func clientVanishingFreesBothDescriptors() async throws {
            try await withNetlab(Netlab.lossless) { lab in
                let (upstream, upstreamPort) = try await echoServer(in: lab)
                let proxy = try lab.example("ProxyExample", in: lab.serverSide,
                                            ["--listen", "\(Netlab.serverAddress):0", "--upstream", "\(Netlab.serverAddress):\(upstreamPort)",
                                             "--threads", "1", "--tcp-keepalive", "1"])
                let port = try await proxy.listeningPort(host: Netlab.serverAddress)
                let idle = proxy.openSockets
                let client = try lab.spawn(in: lab.clientSide, Tools.socat, ["-u", "TCP:\(Netlab.serverAddress):\(port)", "OPEN:/dev/null"])
                try await waitUntil(within: 20) { proxy.openSockets >= idle + 2 }
                try await lab.blackhole(true)
                let freed = try await waitForSockets(of: proxy, atMost: idle, within: 15)
                print("netlab: idle client blackholed; the proxy freed both descriptors after \(String(format: "%.2f", freed)) s")
                #expect(freed <= 1 + 3 * 1 + 1, "keepalive idle 1 s + 3 × interval 1 s + 1 s")
                #expect(try await proxy.stop() == 0)
                _ = try? await client.stop(signal: SIGKILL)
                #expect(try await upstream.stop() == 0)
            }
        }

        /// Connecting to a blackholed upstream gives up after the proxy's `--connect-timeout`
        /// (2 s), and the waiting client is closed.
        @Test(.timeLimit(.minutes(1)))
        func connectToABlackholedUpstreamHonoursTheDialTimeout() async throws {
            try await withNetlab(Netlab.lossless) { lab in
                let proxy = try lab.example("ProxyExample", in: lab.clientSide,
                                            ["--listen", "127.0.0.1:0", "--upstream", "\(Netlab.serverAddress):9",
                                             "--threads", "1", "--connect-timeout", "2", "--retries", "1"])
                let port = try await proxy.listeningPort()
                let idle = proxy.openSockets
                try await lab.blackhole(true)
                let start = ContinuousClock.now
                let client = try lab.spawn(in: lab.clientSide, Tools.socat, ["-u", "TCP:127.0.0.1:\(port)", "OPEN:/dev/null"])
                try await client.waitForExit(within: 20)
                let closed = seconds(since: start)
                print("netlab: connect to a blackholed upstream (timeout 2 s): client closed after \(String(format: "%.2f", closed)) s")
                #expect(closed >= 1.9 && closed <= 2 + 1, "connect timeout 2 s")
                try await waitForSockets(of: proxy, atMost: idle, within: 2)
                #expect(try await proxy.stop() == 0)
                #expect(try proxy.totals()["upstream_failures"] == 1)
            }
        }
    }
}

/// EchoExample serving raw TCP on the server side's address (port 0); returns it and its port.
func echoServer(in lab: Netlab, _ arguments: [String] = []) async throws -> (ExampleProcess, UInt16) {
    let server = try lab.example("EchoExample", in: lab.serverSide,
                                 ["serve", "--listen", "\(Netlab.serverAddress):0", "--threads", "1"] + arguments)
    return (server, try await server.listeningPort(host: Netlab.serverAddress))
}
