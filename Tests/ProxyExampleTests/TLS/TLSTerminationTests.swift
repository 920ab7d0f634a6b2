import EventLoop
import EventLoopTLS
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// `--tls-cert`/`--tls-key`: clients speak TLS to the proxy, the upstream gets plaintext.
/// Handshake failures (not TLS, too slow) close the client and are logged; a bad certificate
/// file at start exits 1 naming it. Both serving levels.
@Suite struct TLSTerminationTests {
    @Test(arguments: ["handler", "async"])
    func echoThroughToAPlaintextUpstream(api: String) async throws {
        try await withReactorGroup(timeout: 90) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(
                upstreams: [upstream.port], ProxyTestCertificates.terminationFlags + ["--api", api])
            let baseline = try proxy.openDescriptorCount()
            let client = try await TLSDialer(context: try ProxyTestCertificates.clientContext())
                .dial(.loopbackIPv4(port: port), group: group)
            defer { client.close() }
            try await client.write(ByteBuffer(bytes: Array("hello over tls".utf8)))
            // close_notify from the client: the upstream sees its end of stream and ends its
            // own, which reaches the client as the proxy's close_notify.
            try await client.closeWrite()
            #expect(await client.readAllText() == "hello over tls")
            try await proxy.waitForOutput(containing: "end=client_closed")
            #expect(proxy.printed.contains("bytes_up=14"))
            client.close()
            try? await waitUntil(within: 30) { try proxy.openDescriptorCount() <= baseline }
            #expect(try proxy.openDescriptorCount() <= baseline)
            #expect(try await proxy.stop() == 0)
        }
    }

    @Test(arguments: ["handler", "async"])
    func plaintextToATLSPortIsClosedAndLogged(api: String) async throws {
        try await withReactorGroup(timeout: 90) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(
                upstreams: [upstream.port], ProxyTestCertificates.terminationFlags + ["--api", api])
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { client.close() }
            try await client.write(Array("GET / HTTP/1.0\r\n\r\n".utf8))
            let (answer, _) = try await client.readUntilClosed()
            // At most a TLS alert comes back, never the request echoed.
            #expect(!answer.contains("GET"))
            try await proxy.waitForOutput(containing: "client TLS handshake failed")
            try await proxy.waitForOutput(containing: "reason=tls_handshake")
            #expect(try await proxy.stop() == 0)
        }
    }

    @Test func aSilentClientIsClosedAtTheHandshakeTimeout() async throws {
        try await withReactorGroup(timeout: 90) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(
                upstreams: [upstream.port], ProxyTestCertificates.terminationFlags + ["--tls-handshake-timeout", "1"])
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { client.close() }
            let start = ContinuousClock.now
            let (answer, _) = try await client.readUntilClosed()
            #expect(answer.isEmpty)
            // Closed by the timeout (1 s), well before the default 10 s: a generous margin for a loaded machine.
            #expect(secondsSince(start) < 9)
            try await proxy.waitForOutput(containing: "client TLS handshake failed")
            #expect(proxy.printed.contains("timeout"))
            #expect(try await proxy.stop() == 0)
        }
    }

    @Test(arguments: [("missing.pem", "server.key", "missing.pem"), ("server.pem", "other.key", "other.key")])
    func aBadCertificateOrKeyAtStartExits1NamingTheFile(certificate: String, key: String, named: String) async throws {
        let proxy = try ExampleProcess("ProxyExample", arguments: [
            "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9",
            "--tls-cert", ProxyTestCertificates.path(certificate), "--tls-key", ProxyTestCertificates.path(key),
        ])
        #expect(try await proxy.waitForExit() == 1)
        let lines = proxy.printed.split(separator: "\n")
        #expect(lines.count == 1, "\(proxy.printed)")
        #expect(proxy.printed.contains(named), "\(proxy.printed)")
    }
}
