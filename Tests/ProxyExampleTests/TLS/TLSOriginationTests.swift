import EventLoop
import EventLoopTLS
import EventLoopTesting
import Testing
import TestSupport

/// `--upstream-tls`: the proxy speaks TLS to its upstreams and verifies them (`--upstream-ca`,
/// `--upstream-sni`); an upstream whose certificate does not verify (wrong name, expired) is
/// refused and the reason logged, the client closed without a byte.
@Suite struct TLSOriginationTests {
    static func flags(sni: String) -> [String] {
        ["--upstream-tls", "--upstream-ca", ProxyTestCertificates.path("ca.pem"), "--upstream-sni", sni]
    }

    @Test(arguments: ["handler", "async"])
    func aVerifiedUpstreamEchoes(api: String) async throws {
        try await withReactorGroup(timeout: 90) { group in
            let upstream = try await TLSEchoUpstream(group: group, context: try ProxyTestCertificates.serverContext())
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], Self.flags(sni: "localhost") + ["--api", api])
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { client.close() }
            #expect(try await client.exchange("plain to tls") == "plain to tls")
            try await client.closeWrite()
            #expect(try await client.readUntilClosed().text.isEmpty)
            try await proxy.waitForOutput(containing: "end=client_closed")
            #expect(try await proxy.stop() == 0)
            await upstream.close()
        }
    }

    /// Terminated and originated: TLS on both sides of the proxy.
    @Test func tlsOnBothSides() async throws {
        try await withReactorGroup(timeout: 90) { group in
            let upstream = try await TLSEchoUpstream(group: group, context: try ProxyTestCertificates.serverContext())
            let (proxy, port) = try await ExampleProcess.proxy(
                upstreams: [upstream.port], Self.flags(sni: "localhost") + ProxyTestCertificates.terminationFlags)
            let client = try await TLSDialer(context: try ProxyTestCertificates.clientContext())
                .dial(.loopbackIPv4(port: port), group: group)
            defer { client.close() }
            try await client.write(ByteBuffer(bytes: Array("tls to tls".utf8)))
            try await client.closeWrite()
            #expect(await client.readAllText() == "tls to tls")
            try await proxy.waitForOutput(containing: "end=client_closed")
            #expect(try await proxy.stop() == 0)
            await upstream.close()
        }
    }

    @Test(arguments: [("server.pem", "wrong.example", "wrong name"), ("expired.pem", "localhost", "expired")])
    func anUnverifiedUpstreamIsRefusedAndLogged(certificate: String, sni: String, why: String) async throws {
        try await withReactorGroup(timeout: 90) { group in
            let upstream = try await TLSEchoUpstream(group: group, context: try ProxyTestCertificates.serverContext(certificate: certificate))
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], Self.flags(sni: sni))
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { client.close() }
            try? await client.write(Array("never relayed".utf8))
            let (answer, _) = try await client.readUntilClosed()
            #expect(answer.isEmpty, "\(why)")
            try await proxy.waitForOutput(containing: "upstream TLS handshake failed")
            try await proxy.waitForOutput(containing: "reason=upstream_tls")
            let printed = proxy.printed.lowercased()
            #expect(printed.contains(why == "expired" ? "expired" : "mismatch"), "\(proxy.printed)")
            #expect(try await proxy.stop() == 0)
            await upstream.close()
        }
    }
}
