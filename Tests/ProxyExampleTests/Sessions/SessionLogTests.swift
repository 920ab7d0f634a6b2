import EventLoop
import EventLoopTesting
import Foundation
import Glibc
import Testing
import TestSupport

/// The session log: one info line per finished client with its address, the upstream, the
/// duration, the bytes each way and how it ended; `--log-format json` for every line.
@Suite struct SessionLogTests {
    /// The `key=value` fields of each text `session` line so far.
    static func sessions(_ proxy: ExampleProcess) -> [[String: String]] {
        proxy.lines.filter { $0.hasPrefix("session ") }.map { line in
            var fields: [String: String] = [:]
            for token in line.split(separator: " ").dropFirst() {
                let parts = token.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
            }
            return fields
        }
    }

    /// Waits for a session line whose `end` is `end` and returns its fields.
    static func session(ending end: String, in proxy: ExampleProcess) async throws -> [String: String] {
        try await proxy.waitForOutput(containing: "end=\(end)")
        return try #require(sessions(proxy).first { $0["end"] == end })
    }

    @Test(arguments: ["handler", "async"])
    func cleanEndsNameTheSideThatClosedFirst(api: String) async throws {
        try await withReactorGroup(timeout: 60) { group in
            let echo = try await TestUpstream.echo(group: group)
            let talker = try await TestUpstream(group: group) { conn in
                defer { conn.close() }
                _ = try? await conn.write(Array("bye\n".utf8))
            }
            defer { echo.close(); talker.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [echo.port], ["--api", api])
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            #expect(try await client.exchange("hello") == "hello")
            try await client.closeWrite()
            _ = try await client.readUntilClosed()
            let clientAddress = client.localAddress?.description ?? "?"
            client.close()
            let closed = try await Self.session(ending: "client_closed", in: proxy)
            #expect(closed["client"] == clientAddress)
            #expect(closed["upstream"] == "127.0.0.1:\(echo.port)")
            #expect(closed["bytes_up"] == "5" && closed["bytes_down"] == "5")
            #expect(Double(closed["duration"] ?? "") != nil)
            #expect(try await proxy.stop() == 0)

            let (second, secondPort) = try await ExampleProcess.proxy(upstreams: [talker.port], ["--api", api])
            let reader = try await Dialer().dial(.loopbackIPv4(port: secondPort), group: group)
            #expect(try await reader.readUntilClosed().text == "bye\n")
            reader.close()
            let upstreamClosed = try await Self.session(ending: "upstream_closed", in: second)
            #expect(upstreamClosed["bytes_down"] == "4" && upstreamClosed["bytes_up"] == "0")
            #expect(try await second.stop() == 0)
        }
    }

    /// Idle timeout, a client's reset, a refusal by `--max-conns`, no upstream, the drain.
    @Test func otherEnds() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let echo = try await TestUpstream.echo(group: group)
            defer { echo.close() }
            let (proxy, port) = try await ExampleProcess.proxy(
                upstreams: [echo.port], ["--idle-timeout", "3", "--max-conns", "1", "--drain-timeout", "0.3"])
            // Idle: nothing moves for 3 s (long enough that `held` below stays busy enough under load).
            let idle = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            #expect(try await idle.exchange("x") == "x")
            _ = try await idle.readUntilClosed()
            idle.close()
            #expect(try await Self.session(ending: "idle_timeout", in: proxy)["bytes_up"] == "1")
            // A reset from the client.
            let resetting = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            #expect(try await resetting.exchange("y") == "y")
            resetting.abort()
            _ = try await Self.session(ending: "client_reset", in: proxy)
            // The one pair allowed, then a refusal by the limit, then the drain closes the pair.
            let held = try await Self.admittedClient(port: port, group: group)
            defer { held.close() }
            try await waitUntil(within: 30) {
                #expect(try await held.exchange("z") == "z")
                let extra = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
                defer { extra.close() }
                _ = try await extra.readUntilClosed()
                return Self.sessions(proxy).contains { $0["end"] == "refused" }
            }
            let refused = try await Self.session(ending: "refused", in: proxy)
            #expect(refused["reason"] == "max_conns" && refused["upstream"] == "-")
            #expect(try await held.exchange("z") == "z")
            #expect(try await proxy.stop() == 0)
            #expect(Self.sessions(proxy).contains { $0["end"] == "drain" })
            try await withRefusingPort { down in
                let (lonely, lonelyPort) = try await ExampleProcess.proxy(upstreams: [down], ["--retries", "1"])
                let client = try await Dialer().dial(.loopbackIPv4(port: lonelyPort), group: group)
                _ = try await client.readUntilClosed()
                client.close()
                let none = try await Self.session(ending: "no_upstream", in: lonely)
                #expect(none["upstream"] == "-" && none["reason"] == "no_upstream")
                #expect(try await lonely.stop() == 0)
            }
        }
    }

    /// A client the proxy paired (one refused because the earlier pairs had not yet given their
    /// slots back is closed and another one tried, a bounded number of times).
    static func admittedClient(port: UInt16, group: ReactorGroup) async throws -> TCPConn {
        for _ in 0..<100 {
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            if (try? await client.exchange("z")) == "z" { return client }
            client.close()
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ExampleFailure("no client was paired")
    }

    /// `--log-format json`: every line one JSON object with level, message and metadata.
    @Test func jsonLines() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let echo = try await TestUpstream.echo(group: group)
            defer { echo.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [echo.port], ["--log-format", "json"])
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            #expect(try await client.exchange("hello") == "hello")
            try await client.closeWrite()
            _ = try await client.readUntilClosed()
            client.close()
            try await proxy.waitForOutput(containing: #""message":"session""#)
            #expect(try await proxy.stop() == 0)
            var sessions = 0
            for line in proxy.lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object?["level"] is String && object?["message"] is String, "\(line)")
                let metadata = try #require(object?["metadata"] as? [String: String], "\(line)")
                if object?["message"] as? String == "session" {
                    sessions += 1
                    #expect(metadata["end"] == "client_closed" && metadata["bytes_up"] == "5")
                    #expect(metadata["upstream"] == "127.0.0.1:\(echo.port)")
                }
            }
            #expect(sessions == 1)
        }
    }
}
