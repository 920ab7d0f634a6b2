import EventLoop
import EventLoopTLS
import EventLoopTesting
import Testing
import TestSupport

/// `--route-sni NAME=HOST:PORT`: the proxy reads the server name of the client's ClientHello
/// without terminating TLS, dials that route's upstream and relays the bytes unchanged (the
/// client's handshake completes with the upstream's own certificate, verified by name). An
/// unknown or missing name goes to the `--upstream` list, else the client is closed and logged.
@Suite struct SNIRoutingTests {
    /// A client verifying `name` against the test CA.
    static func client(for name: String) throws -> TLSDialer {
        var configuration = TLSConfiguration.client(serverName: name, trustRoots: .file(ProxyTestCertificates.path("ca.pem")))
        configuration.handshakeTimeout = .seconds(20)
        return TLSDialer(context: try TLSContext(configuration))
    }

    /// Sends `text` through the proxy on `port` over TLS to `name` and returns the echo.
    static func echo(_ text: String, name: String, port: UInt16, group: ReactorGroup) async throws -> String {
        let conn = try await client(for: name).dial(.loopbackIPv4(port: port), group: group)
        defer { conn.close() }
        try await conn.write(ByteBuffer(bytes: Array(text.utf8)))
        try await conn.closeWrite()
        return await conn.readAllText()
    }

    @Test(arguments: ["handler", "async"])
    func eachNameReachesItsUpstreamWithTLSUntouched(api: String) async throws {
        try await withReactorGroup(timeout: 90) { group in
            let local = try await TLSEchoUpstream(group: group, context: try ProxyTestCertificates.serverContext())
            let other = try await TLSEchoUpstream(
                group: group, context: try ProxyTestCertificates.serverContext(certificate: "other.pem", key: "other.key"))
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [], [
                "--route-sni", "LocalHost=127.0.0.1:\(local.port)", "--route-sni", "*.test=127.0.0.1:\(other.port)",
                "--api", api,
            ])
            // Each handshake verifies the upstream's certificate for the name asked: a client
            // routed to the other upstream would fail it.
            #expect(try await Self.echo("to localhost", name: "localhost", port: port, group: group) == "to localhost")
            #expect(try await Self.echo("to other", name: "other.test", port: port, group: group) == "to other")
            try await proxy.waitForOutput(containing: "sni=other.test")
            let session = proxy.lines.first { $0.contains("sni=localhost") } ?? ""
            #expect(session.contains("upstream=127.0.0.1:\(local.port)"), "\(proxy.printed)")
            #expect(session.contains("end="), "\(proxy.printed)")
            #expect(try await proxy.stop() == 0)
            #expect(try proxy.totals()["paired"] == 2)
            await local.close()
            await other.close()
        }
    }

    @Test func anUnknownNameGoesToTheUpstreamList() async throws {
        try await withReactorGroup(timeout: 90) { group in
            let local = try await TLSEchoUpstream(group: group, context: try ProxyTestCertificates.serverContext())
            let fallback = try await TLSEchoUpstream(
                group: group, context: try ProxyTestCertificates.serverContext(certificate: "other.pem", key: "other.key"))
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [fallback.port], [
                "--route-sni", "localhost=127.0.0.1:\(local.port)",
            ])
            #expect(try await Self.echo("fallback", name: "other.test", port: port, group: group) == "fallback")
            try await proxy.waitForOutput(containing: "sni=other.test")
            #expect(proxy.lines.contains { $0.contains("sni=other.test") && $0.contains("upstream=127.0.0.1:\(fallback.port)") },
                    "\(proxy.printed)")
            #expect(try await proxy.stop() == 0)
            await local.close()
            await fallback.close()
        }
    }

    /// Without an `--upstream` list: an unknown name, no name and bytes that are not TLS are
    /// each closed before anything is dialled, and logged with the reason.
    @Test(arguments: ["unknown name", "no name", "not TLS"])
    func withoutAFallbackTheClientIsClosedAndLogged(case kind: String) async throws {
        try await withReactorGroup(timeout: 90) { group in
            let local = try await TLSEchoUpstream(group: group, context: try ProxyTestCertificates.serverContext())
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [], ["--route-sni", "localhost=127.0.0.1:\(local.port)"])
            switch kind {
            case "unknown name":
                await #expect(throws: (any Error).self) { _ = try await Self.echo("x", name: "nope.example", port: port, group: group) }
                try await proxy.waitForOutput(containing: "no route for server name nope.example")
            case "no name":
                var configuration = TLSConfiguration.client(serverName: nil, trustRoots: .file(ProxyTestCertificates.path("ca.pem")))
                configuration.handshakeTimeout = .seconds(20)
                await #expect(throws: (any Error).self) {
                    _ = try await TLSDialer(context: try TLSContext(configuration)).dial(.loopbackIPv4(port: port), group: group)
                }
                try await proxy.waitForOutput(containing: "reason=\"no server name\"")
            default:
                let conn = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
                defer { conn.close() }
                try await conn.write(Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
                #expect(try await conn.readUntilClosed().text.isEmpty)
                try await proxy.waitForOutput(containing: "not a TLS ClientHello")
            }
            try await proxy.waitForOutput(containing: "reason=no_route")
            #expect(try await proxy.stop() == 0)
            #expect(try proxy.totals()["refused_no_route"] == 1)
            #expect(try proxy.totals()["paired"] == 0)
            await local.close()
        }
    }

    /// A client that connects and sends nothing (or half a ClientHello) is closed at
    /// `--tls-handshake-timeout`, and nothing is dialled for it.
    @Test(arguments: [0, 40])
    func aSilentClientIsClosedAtTheHandshakeTimeout(sending count: Int) async throws {
        try await withReactorGroup(timeout: 90) { group in
            let local = try await TLSEchoUpstream(group: group, context: try ProxyTestCertificates.serverContext())
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [], [
                "--route-sni", "localhost=127.0.0.1:\(local.port)", "--tls-handshake-timeout", "0.5",
            ])
            let conn = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { conn.close() }
            // The start of a handshake record announcing 512 bytes, then silence.
            let partial: [UInt8] = [22, 3, 1, 2, 0, 1] + Array(repeating: 0, count: max(0, count - 6))
            if count > 0 { try await conn.write(partial) }
            #expect(try await conn.readUntilClosed().text.isEmpty)
            try await proxy.waitForOutput(containing: "ClientHello not read")
            #expect(proxy.printed.contains("no complete ClientHello within"), "\(proxy.printed)")
            #expect(try await proxy.stop() == 0)
            #expect(try proxy.totals()["refused_client_hello"] == 1)
            await local.close()
        }
    }
}
