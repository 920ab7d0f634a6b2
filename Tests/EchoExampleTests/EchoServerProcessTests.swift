import TestSupport
import EventLoop
import EventLoopTesting
import Foundation
import Testing

/// The echo example as a user runs it: a child process on port 0, real sockets.
@Suite struct EchoServerProcessTests {
    @Test(arguments: ["async", "handler"])
    func echoesLargeAndTinyMessages(api: String) async throws {
        let server = try ExampleProcess("EchoExample", arguments: ["--listen", "127.0.0.1:0", "--threads", "2", "--api", api])
        let port = try await server.listeningPort()
        try await withReactorGroup(timeout: 60) { group in
            let conn = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { conn.close() }
            for size in [1, 7, 64, 1500, 65_536, 3 << 20] {
                let message = patternBuffer(size: size, seed: size)
                async let sent: Void = conn.write(message)
                var reply = ByteBuffer()
                try await conn.readExactly(size, into: &reply)
                try await sent
                #expect(sameBytes(reply, message), "size \(size)")
            }
        }
        #expect(try await server.stop() == 0)
        #expect(server.printed.contains("stopped"))
    }

    /// More clients than the server has fds: it pauses accepting instead of spinning, says so,
    /// and serves again once fds are free.
    @Test func survivesFileDescriptorExhaustion() async throws {
        let server = try ExampleProcess("EchoExample", arguments: ["--listen", "127.0.0.1:0", "--threads", "1", "--fd-limit", "24"])
        let port = try await server.listeningPort()
        try await withReactorGroup(timeout: 60) { group in
            var clients: [TCPConn] = []
            for _ in 0..<40 {
                let conn = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
                try await conn.write([1])
                clients.append(conn)
            }
            try await server.waitForOutput(containing: "EMFILE")
            let before = try server.cpuSeconds()
            let clock = ContinuousClock()
            let start = clock.now
            try await Task.sleep(for: .milliseconds(500))  // a window to measure CPU over, not a sync
            let elapsed = Double((clock.now - start).components.attoseconds) / 1e18 + Double((clock.now - start).components.seconds)
            let used = try server.cpuSeconds() - before
            #expect(used < elapsed * 0.5, "server used \(used) s of CPU in \(elapsed) s while out of fds")
            for conn in clients { conn.close() }
            // Once fds are free again a new client is served.
            let fresh = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { fresh.close() }
            try await fresh.write(Array("still here".utf8))
            var reply = ByteBuffer()
            try await fresh.readExactly(10, into: &reply)
            #expect(reply.readString(length: 10) == "still here")
        }
        #expect(try await server.stop() == 0)
    }

    @Test func rejectsBadListenAddress() async throws {
        let server = try ExampleProcess("EchoExample", arguments: ["--listen", "not-an-address"])
        try await server.waitForOutput(containing: "invalid address \"not-an-address\"")
        #expect(try await server.stop() != 0)
    }

    /// `--log-format json`: every line the server writes is one JSON object.
    @Test func jsonLogFormat() async throws {
        let server = try ExampleProcess("EchoExample", arguments: ["--listen", "127.0.0.1:0", "--log-format", "json"])
        _ = try await server.listeningPort()
        #expect(try await server.stop() == 0)
        #expect(server.lines.count >= 2)
        for line in server.lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] is String && object?["message"] is String && object?["metadata"] is [String: Any], "\(line)")
        }
    }
}
