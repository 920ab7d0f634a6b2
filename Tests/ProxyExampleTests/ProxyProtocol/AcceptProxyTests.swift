import EventLoop
import EventLoopTesting
import Glibc
import Synchronization
import Testing
import TestSupport

/// `--accept-proxy`: the PROXY header's source address is the client's for the limits and the
/// logs; a client without a valid header is closed, logged with its socket address and the
/// reason, and never reaches an upstream. Both serving levels.
@Suite struct AcceptProxyTests {
    /// A count shared with an upstream's connection tasks.
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// An echo upstream that counts its connections.
    static func countingEcho(group: ReactorGroup) async throws -> (TestUpstream, Counter) {
        let counter = Counter()
        let upstream = try await TestUpstream(group: group) { conn in
            counter.value.add(1, ordering: .relaxed)
            defer { conn.close() }
            var buffer = ByteBuffer()
            while true {
                guard let read = try? await conn.read(into: &buffer), read > 0 else { break }
                guard (try? await conn.write(buffer)) != nil else { return }
                buffer.clear()
            }
            try? await conn.closeWrite()
        }
        return (upstream, counter)
    }

    /// Sends `bytes` (a header and data) to the proxy, ends the stream, returns what came back
    /// before the proxy closed, and the client's own address.
    static func send(_ bytes: [UInt8], port: UInt16, group: ReactorGroup) async throws -> (answer: String, client: SocketAddress?) {
        let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
        defer { client.close() }
        try? await client.write(bytes)
        try? await client.closeWrite()
        let (text, _) = (try? await client.readUntilClosed()) ?? ("", true)
        return (text, client.localAddress)
    }

    static func v1(_ source: String, _ port: Int) -> [UInt8] { Array("PROXY TCP4 \(source) 127.0.0.1 \(port) 80\r\n".utf8) }

    @Test(arguments: ["handler", "async"])
    func handcraftedV1CarriesTheClientAddress(api: String) async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], ["--accept-proxy", "--api", api, "--log-level", "debug"])
            let (answer, _) = try await Self.send(Self.v1("203.0.113.9", 5555) + Array("hello".utf8), port: port, group: group)
            #expect(answer == "hello")
            try await proxy.waitForOutput(containing: "pair opened client=203.0.113.9:5555")
            #expect(try await proxy.stop() == 0)
        }
    }

    @Test(arguments: ["handler", "async"])
    func limitsAndListsSeeTheCarriedAddress(api: String) async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], [
                "--accept-proxy", "--api", api, "--log-level", "debug", "--deny", "198.51.100.0/24", "--max-conns-per-ip", "1",
            ])
            #expect(try await Self.send(Self.v1("198.51.100.1", 1000) + Array("x".utf8), port: port, group: group).answer.isEmpty)
            try await proxy.waitForOutput(containing: "client refused client=198.51.100.1:1000 reason=denied")
            // One pair open from 203.0.113.5: a second from it is refused, one from elsewhere is not.
            let held = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { held.close() }
            try await held.write(Self.v1("203.0.113.5", 2000))
            #expect(try await held.exchange("first") == "first")
            #expect(try await Self.send(Self.v1("203.0.113.5", 2001) + Array("y".utf8), port: port, group: group).answer.isEmpty)
            try await proxy.waitForOutput(containing: "client refused client=203.0.113.5:2001 reason=max_conns_per_ip")
            #expect(try await Self.send(Self.v1("203.0.113.6", 2002) + Array("z".utf8), port: port, group: group).answer == "z")
            held.close()
            #expect(try await proxy.stop() == 0)
        }
    }

    /// Every kind of bad header: closed, logged with the socket's address and the reason,
    /// nothing dialled; a good client afterwards is served as usual.
    @Test(arguments: ["handler", "async"])
    func badHeadersAreRefused(api: String) async throws {
        try await withReactorGroup(timeout: 90) { group in
            let (upstream, connections) = try await Self.countingEcho(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], [
                "--accept-proxy", "--api", api, "--proxy-header-timeout", "0.3", "--metrics-listen", "127.0.0.1:0",
            ])
            let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
            let cases: [([UInt8], String)] = [
                (Array("GET / HTTP/1.1\r\n\r\n".utf8), "missing PROXY protocol signature"),
                (Array("PROXY TCP4 1.2.3".utf8), "connection ended after 16 bytes"),
                (Array("PROXY TCP4 1.2.3.999 5.6.7.8 1 2\r\nx".utf8), "bad v1 address"),
                (Array("PROXY TCP4 1.2.3.4 5.6.7.8 1 77777\r\nx".utf8), "bad v1 port"),
                (Array("PROXY TCP4 ::1 5.6.7.8 1 2\r\nx".utf8), "address block does not match"),
                (Array(("PROXY UNKNOWN " + String(repeating: "u", count: 120)).utf8), "v1 line longer than 107 bytes"),
                ([0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0B, 0x21, 0x11, 0, 12], "missing PROXY protocol signature"),
                (signature + [0x31, 0x11, 0, 12], "unsupported v2 version 3"),
                (signature + [0x2F, 0x11, 0, 12], "unsupported v2 command 15"),
                (signature + [0x21, 0x11, 0x10, 0x00], "header of 4112 bytes exceeds the maximum of 4096"),
                (signature + [0x21, 0x21, 0, 12] + [UInt8](repeating: 1, count: 12), "address block does not match"),
                ([], "no complete PROXY header in time"),
            ]
            for (bytes, reason) in cases {
                let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
                defer { client.close() }
                if !bytes.isEmpty { try? await client.write(bytes) }
                // The proxy closes the client (after the header timeout when it sent nothing).
                if reason.hasPrefix("connection ended") { try? await client.closeWrite() }
                let (answer, _) = (try? await client.readUntilClosed()) ?? ("", true)
                #expect(answer.isEmpty)
                let address = try #require(client.localAddress)
                try await proxy.waitForOutput(containing: "PROXY header refused client=\(address) reason=\"\(reason)")
            }
            #expect(connections.value.load(ordering: .relaxed) == 0)
            // Nothing else disturbed: a good client is served.
            #expect(try await Self.send(Self.v1("203.0.113.1", 1) + Array("ok".utf8), port: port, group: group).answer == "ok")
            let page = try await ProxyOperationsTests.get("/metrics", port: try await proxy.metricsPort(), group: group)
            #expect(page.contains("reason=\"proxy_header\"} \(cases.count)"), "\(page)")
            #expect(try await proxy.stop() == 0)
            #expect(proxy.printed.contains("refused_proxy_header=\(cases.count)"))
        }
    }
}
