import EventLoopTesting
import Foundation
import Glibc
import TestSupport
import Testing

extension NetlabTests {
    /// EchoExample's server when its peer vanishes (the link blackholed): keepalive and the TCP
    /// user timeout close the connection in bounded time and free its descriptor.
    @Suite struct VanishingPeer {
        /// An idle client blackholed: with `--tcp-keepalive 1` (idle 1 s, a probe a second) the
        /// server gives the connection up within idle + 3 × interval + 1 s.
        @Test(.timeLimit(.minutes(1)), .enabled(if: Tools.examplesHaveDeadPeerFlags, "needs the examples' --tcp-keepalive and --tcp-user-timeout"))
        func idleClientIsClosedByKeepalive() async throws {
            try await withNetlab(Netlab.lossless) { lab in
                let (server, port) = try await echoServer(in: lab, ["--tcp-keepalive", "1"])
                let idle = server.openSockets
                let client = try lab.spawn(in: lab.clientSide, Tools.socat, ["-u", "TCP:\(Netlab.serverAddress):\(port)", "OPEN:/dev/null"])
                try await waitUntil(within: 20) { server.openSockets > idle }
                try await lab.blackhole(true)
                let closed = try await waitForSockets(of: server, atMost: idle, within: 15)
                print("netlab: idle client blackholed; keepalive closed it after \(String(format: "%.2f", closed)) s")
                #expect(closed <= 1 + 3 * 1 + 1, "keepalive idle 1 s + 3 × interval 1 s + 1 s")
                #expect(closed >= 1, "not before the keepalive idle time")
                #expect(try await server.stop() == 0)
                _ = try? await client.stop(signal: SIGKILL)
            }
        }

        /// A client blackholed while the server has echoes in flight: with
        /// `--tcp-user-timeout 2` the server gives the connection up within 2 + 1 s.
        @Test(.timeLimit(.minutes(1)), .enabled(if: Tools.examplesHaveDeadPeerFlags, "needs the examples' --tcp-keepalive and --tcp-user-timeout"))
        func peerVanishingWithDataInFlightIsClosedByTheUserTimeout() async throws {
            try await withNetlab(Netlab.lossless) { lab in
                let (server, port) = try await echoServer(in: lab, ["--tcp-user-timeout", "2"])
                let idle = server.openSockets
                let bench = try lab.example("EchoExample", in: lab.clientSide,
                                            ["bench", "--connect", "\(Netlab.serverAddress):\(port)", "-c", "1", "-s", "65536",
                                             "-p", "8", "-d", "30", "--warmup", "0", "--threads", "1"])
                try await waitUntil(within: 20) { server.unacknowledgedBytes(port: port) > 64 << 10 }
                try await lab.blackhole(true)
                let closed = try await waitForSockets(of: server, atMost: idle, within: 15)
                print("netlab: client blackholed with echoes in flight; the user timeout closed it after \(String(format: "%.2f", closed)) s")
                #expect(closed <= 2 + 1, "user timeout 2 s + 1 s")
                #expect(try await server.stop() == 0)
                _ = try? await bench.stop(signal: SIGKILL)
            }
        }
    }
}
