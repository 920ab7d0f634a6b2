import EventLoop
import EventLoopTLS
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// Bad input at the library level: each case closes the connection with a clear error, frees
/// its descriptor (``withReactorGroup`` checks that no socket is left) and leaves the listener
/// serving others.
@Suite struct TLSBadInputTests {
    static let shortTimeout: Duration = .milliseconds(400)

    /// A server whose handshakes may take `handshakeTimeout`: generous by default, since on a
    /// loaded machine a good handshake can take seconds; the timeout tests pass ``shortTimeout``.
    static func server(_ group: ReactorGroup, handshakeTimeout: Duration = .seconds(20),
                       _ configure: (inout TLSConfiguration) throws -> Void = { _ in }) async throws -> TestTLSServer {
        try await TestTLSServer(group: group, context: try TestCertificates.serverContext {
            $0.handshakeTimeout = handshakeTimeout
            try configure(&$0)
        })
    }

    /// A full TLS exchange still works on `server` (the listener was not disturbed).
    static func expectServing(_ server: TestTLSServer, _ group: ReactorGroup) async throws {
        let accepted = Task {
            let conn = try await server.listener.accept()
            try await conn.write([1])
            conn.close()
        }
        let client = try await TLSDialer(context: try TestCertificates.clientContext()).dial(server.address, group: group)
        let (bytes, error) = await drain(client)
        #expect(bytes == [1])
        #expect(error == nil)
        client.close()
        try await accepted.value
    }

    @Test(arguments: ["http", "random"])
    func nonTLSBytesAreRefused(kind: String) async throws {
        try await withReactorGroup { group in
            let server = try await Self.server(group)
            let client = try await Dialer().dial(server.address, group: group)
            var generator = SplitMix(seed: 7)
            var bytes = kind == "http" ? Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
                                       : (0..<512).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if kind == "random" { bytes[0] = 0x47 }  // never a handshake record's 0x16
            // The server may refuse and close before every byte is written: a failed write is fine.
            try? await client.write(bytes)
            let (reply, _) = await drain(client)
            if let first = reply.first { #expect(first == 0x15, "an alert record, if anything") }
            try await waitUntil { server.errors.all.count == 1 }
            let error = try #require(server.errors.all.first as? TLSError)
            #expect(error.code == .handshakeFailed)
            #expect(error.remoteAddress == client.localAddress)
            #expect("\(error)".contains("\(client.localAddress!)"))
            #expect(!error.reason.isEmpty)
            client.close()
            try await Self.expectServing(server, group)
            server.close()
        }
    }

    @Test func silentClientIsClosedAtTheHandshakeTimeout() async throws {
        try await withReactorGroup { group in
            let server = try await Self.server(group, handshakeTimeout: Self.shortTimeout)
            let started = ContinuousClock.now
            let client = try await Dialer().dial(server.address, group: group)
            let (reply, _) = await drain(client)
            #expect(reply.isEmpty)
            #expect(ContinuousClock.now - started >= Self.shortTimeout - .milliseconds(20))
            try await waitUntil { server.errors.all.count == 1 }
            let error = try #require(server.errors.all.first as? NetError)
            #expect(error.code == .timeout)
            #expect(error.remoteAddress == client.localAddress)
            client.close()
            try await Self.expectServing(server, group)
            server.close()
        }
    }

    @Test func peerStallingMidHandshakeIsClosedAtTheTimeout() async throws {
        try await withReactorGroup { group in
            let hello = try await captureClientHello(group)
            let server = try await Self.server(group, handshakeTimeout: Self.shortTimeout)
            let client = try await Dialer().dial(server.address, group: group)
            try await client.write(Array(hello.prefix(hello.count / 2)))
            let (reply, _) = await drain(client)
            #expect(reply.isEmpty)
            try await waitUntil { server.errors.all.count == 1 }
            #expect((server.errors.all.first as? NetError)?.code == .timeout)
            client.close()
            server.close()
        }
    }

    @Test func clientWithoutCertificateFailsWhenOneIsRequired() async throws {
        try await withReactorGroup { group in
            let server = try await Self.server(group) { $0.clientCertificateRoots = .file(TestCertificates.path("ca.pem")) }
            await expectRejectedClient(server, group, identity: nil)
            let error = try #require(server.errors.all.first as? TLSError)
            #expect(error.code == .handshakeFailed)
            #expect(error.reason.contains("certificate"))
            try await Self.expectServingMutual(server, group)
            server.close()
        }
    }

    @Test func clientCertificateFromAnotherCAFails() async throws {
        try await withReactorGroup { group in
            let server = try await Self.server(group) { $0.clientCertificateRoots = .file(TestCertificates.path("ca.pem")) }
            await expectRejectedClient(server, group, identity: "rogue-client")
            let error = try #require(server.errors.all.first as? TLSError)
            #expect(error.code == .certificateVerificationFailed)
            server.close()
        }
    }

    /// A client (with `identity`, or none) whose handshake the server refuses: it fails at the
    /// handshake (TLS 1.2) or at its first read (TLS 1.3 checks the client's certificate after
    /// the client has finished); the server reports one error and accepts nothing.
    private func expectRejectedClient(_ server: TestTLSServer, _ group: ReactorGroup, identity: String?) async {
        do {
            let client = try await TLSDialer(context: try TestCertificates.clientContext {
                if let identity { $0.certificate = try TestCertificates.identity(identity) }
            }).dial(server.address, group: group)
            let (bytes, error) = await drain(client)
            #expect(bytes.isEmpty)
            #expect(error != nil)
            client.close()
        } catch {
            #expect(error is TLSError || error is NetError)
        }
        try? await waitUntil { server.errors.all.count == 1 }
        #expect(server.errors.all.count == 1)
    }

    static func expectServingMutual(_ server: TestTLSServer, _ group: ReactorGroup) async throws {
        let accepted = Task {
            let conn = try await server.listener.accept()
            try await conn.write([1])
            conn.close()
        }
        let client = try await TLSDialer(context: try TestCertificates.clientContext {
            $0.certificate = try TestCertificates.identity("client")
        }).dial(server.address, group: group)
        let (bytes, _) = await drain(client)
        #expect(bytes == [1])
        client.close()
        try await accepted.value
    }

    @Test func clientRefusesAnExpiredCertificate() async throws {
        try await withReactorGroup { group in
            let expired = try TLSCertifiedKey(certificateFile: TestCertificates.path("expired.pem"), keyFile: TestCertificates.path("server.key"))
            let tcp = try await Listener.listen(.loopbackIPv4(), group: group)
            let server = TLSListener(tcp, context: try TLSContext(.server(certificate: expired)))
            let error = await #expect(throws: TLSError.self) {
                _ = try await TLSDialer(context: try TestCertificates.clientContext()).dial(server.address, group: group)
            }
            #expect(error?.code == .certificateVerificationFailed)
            #expect(error?.reason.contains("expired") == true)
            server.close()
        }
    }

    @Test func clientRefusesAWronglyNamedCertificate() async throws {
        try await withReactorGroup { group in
            let server = try await Self.server(group)
            let error = await #expect(throws: TLSError.self) {
                _ = try await TLSDialer(context: try TestCertificates.clientContext()).dial(server.address, serverName: "wrong.example", group: group)
            }
            #expect(error?.code == .certificateVerificationFailed)
            #expect(error?.reason.contains("hostname mismatch") == true)
            server.close()
        }
    }

    /// ALPN with nothing in common: the server refuses with `no_application_protocol` (RFC 7301),
    /// the client hears the alert; a client offering no ALPN at all still connects, and the
    /// listener goes on serving.
    @Test func alpnWithNothingInCommonFailsWithAnAlert() async throws {
        try await withReactorGroup { group in
            let server = try await Self.server(group) { $0.applicationProtocols = ["h2"] }
            let error = await #expect(throws: TLSError.self) {
                _ = try await TLSDialer(context: try TestCertificates.clientContext { $0.applicationProtocols = ["spdy/3"] })
                    .dial(server.address, group: group)
            }
            #expect(error?.reason.contains("no application protocol") == true, "\(String(describing: error))")
            let accepted = Task { try await server.listener.accept() }
            let plain = try await TLSDialer(context: try TestCertificates.clientContext()).dial(server.address, group: group)
            #expect(plain.negotiatedProtocol == nil)
            let served = try await accepted.value
            #expect(served.negotiatedProtocol == nil)
            served.close()
            plain.close()
            try await Self.expectServing(server, group)
            server.close()
        }
    }

    @Test func handshakeFedOneByteAtATimeCompletes() async throws {
        try await withReactorGroup(reactors: 2) { group in
            // A handshake of a few thousand 1-byte segments, each a wake-up of both sides: slow
            // on a loaded machine running the suite in parallel, so both sides allow a minute.
            let server = try await Self.server(group) { $0.handshakeTimeout = .seconds(60) }
            let relay = try await ByteRelay(group: group, to: server.address)
            let accepted = Task {
                let conn = try await server.listener.accept()
                let request = try await conn.readAll()
                try await conn.write(request)
                conn.close()
            }
            let client = try await TLSDialer(context: try TestCertificates.clientContext { $0.handshakeTimeout = .seconds(60) })
                .dial(relay.address, group: group)
            try await client.write(Array("through a byte-by-byte relay".utf8))
            try await client.closeWrite()
            let (bytes, error) = await drain(client)
            #expect(String(decoding: bytes, as: UTF8.self) == "through a byte-by-byte relay")
            #expect(error == nil)
            client.close()
            try await accepted.value
            relay.close()
            server.close()
        }
    }

    @Test func tls11ClientHelloIsRefused() async throws {
        guard let openssl = opensslPath else {
            print("skipped: no openssl command to send a TLS 1.1 ClientHello")
            return
        }
        try await withReactorGroup { group in
            let server = try await Self.server(group)
            let process = try ExampleProcess(path: openssl, name: "openssl s_client", arguments: [
                "s_client", "-connect", "127.0.0.1:\(server.address.port!)", "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0",
            ])
            let status = try await process.waitForExit(within: 20)
            #expect(status != 0)
            try await waitUntil { server.errors.all.count == 1 }
            let error = try #require(server.errors.all.first as? TLSError)
            #expect(error.code == .handshakeFailed)
            #expect(error.reason.contains("protocol"), "\(error)")
            server.close()
        }
    }
}

/// A deterministic generator for test bytes.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
