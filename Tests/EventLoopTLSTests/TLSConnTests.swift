import EventLoop
import EventLoopTLS
import EventLoopTesting
import Testing
import TestSupport

/// The async level over loopback: data both ways, ALPN, SNI, mutual TLS, resumption,
/// half-close, truncation and deadlines.
@Suite struct TLSConnTests {
    static let echoSize = 1 << 20

    @Test func echoesDataBothWaysWithALPN() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let server = try await TestTLSServer(group: group, context: try TestCertificates.serverContext {
                $0.applicationProtocols = ["h2", "http/1.1"]
            })
            let served = Task {
                let conn = try await server.listener.accept()
                defer { conn.close() }
                #expect(conn.negotiatedProtocol == "http/1.1")
                #expect(conn.info.serverName == "localhost")
                #expect(conn.info.version == .tls13)
                let request = try await conn.readAll()
                try await conn.write(request)
                try await conn.closeWrite()
            }
            let client = try await TLSDialer(context: try TestCertificates.clientContext {
                $0.applicationProtocols = ["http/1.1", "spdy/3"]
            }).dial(server.address, group: group)
            defer { client.close() }
            #expect(client.negotiatedProtocol == "http/1.1")
            #expect(client.peerCertificateSubject == "/CN=localhost")
            let payload = Pattern.bytes(at: 0, count: Self.echoSize)
            try await client.write(payload)
            try await client.closeWrite()
            let reply = try await client.readAll()
            #expect(reply.readableBytes == Self.echoSize)
            #expect(Pattern.matches(reply, at: 0))
            try await served.value
            server.close()
        }
    }

    @Test func serverPicksCertificateByServerName() async throws {
        try await withReactorGroup { group in
            let server = try await TestTLSServer(group: group, context: try TestCertificates.serverContext {
                $0.certificatesByServerName = ["Other.Test": try TestCertificates.identity("other")]
            })
            let accepted = Task {
                for _ in 0..<2 {
                    let conn = try await server.listener.accept()
                    try await conn.write([1])
                    conn.close()
                }
            }
            let other = try await TLSDialer(context: try TestCertificates.clientContext()).dial(server.address, serverName: "other.test", group: group)
            #expect(other.peerCertificateSubject == "/CN=other.test")
            var buffer = ByteBuffer()
            try await other.readExactly(1, into: &buffer)
            other.close()
            let plain = try await TLSDialer(context: try TestCertificates.clientContext()).dial(server.address, group: group)
            #expect(plain.peerCertificateSubject == "/CN=localhost")
            try await plain.readExactly(1, into: &buffer)
            plain.close()
            try await accepted.value
            server.close()
        }
    }

    @Test func mutualTLSExposesTheClientSubject() async throws {
        try await withReactorGroup { group in
            let server = try await TestTLSServer(group: group, context: try TestCertificates.serverContext {
                $0.clientCertificateRoots = .file(TestCertificates.path("ca.pem"))
            })
            let accepted = Task {
                let conn = try await server.listener.accept()
                defer { conn.close() }
                #expect(conn.peerCertificateSubject == "/CN=client")
                try await conn.write([42])
            }
            let client = try await TLSDialer(context: try TestCertificates.clientContext {
                $0.certificate = try TestCertificates.identity("client")
            }).dial(server.address, group: group)
            defer { client.close() }
            var buffer = ByteBuffer()
            try await client.readExactly(1, into: &buffer)
            #expect(buffer.readableBytesArray == [42])
            try await accepted.value
            server.close()
        }
    }

    @Test(arguments: [TLSVersion.tls13, .tls12])
    func clientResumesItsSession(version: TLSVersion) async throws {
        try await withReactorGroup { group in
            let server = try await TestTLSServer(group: group, context: try TestCertificates.serverContext())
            let cache = TLSSessionCache()
            let dialer = TLSDialer(context: try TestCertificates.clientContext {
                $0.sessionCache = cache
                $0.maximumVersion = version
            })
            let accepted = Task {
                var reused: [Bool] = []
                for _ in 0..<2 {
                    let conn = try await server.listener.accept()
                    reused.append(conn.info.sessionReused)
                    try await conn.write([7])  // TLS 1.3 tickets travel after the handshake
                    _ = await drain(conn)
                    conn.close()
                }
                return reused
            }
            var results: [Bool] = []
            for _ in 0..<2 {
                let client = try await dialer.dial(server.address, group: group)
                #expect(client.info.version == version)
                var buffer = ByteBuffer()
                try await client.readExactly(1, into: &buffer)
                results.append(client.info.sessionReused)
                try await client.closeWrite()
                client.close()
            }
            #expect(results == [false, true])
            #expect(try await accepted.value == [false, true])
            #expect(cache.count == 1)
            server.close()
        }
    }

    @Test func tcpCloseWithoutCloseNotifyIsTruncation() async throws {
        try await withReactorGroup { group in
            let server = try await TestTLSServer(group: group, context: try TestCertificates.serverContext())
            let accepted = Task {
                let conn = try await server.listener.accept()
                try await conn.write([1, 2, 3])
                conn.tcp.close()  // the TCP stream ends, no close_notify
            }
            let client = try await TLSDialer(context: try TestCertificates.clientContext()).dial(server.address, group: group)
            defer { client.close() }
            let (bytes, error) = await drain(client)
            #expect(bytes == [1, 2, 3])
            let tlsError = try #require(error as? TLSError)
            #expect(tlsError.code == .truncated)
            #expect(tlsError.operation == "read")
            try await accepted.value
            server.close()
        }
    }

    @Test func closeNotifyIsACleanEndOfStream() async throws {
        try await withReactorGroup { group in
            let server = try await TestTLSServer(group: group, context: try TestCertificates.serverContext())
            let accepted = Task {
                let conn = try await server.listener.accept()
                try await conn.write([9])
                conn.close()  // close_notify, then the TCP close
            }
            let client = try await TLSDialer(context: try TestCertificates.clientContext()).dial(server.address, group: group)
            defer { client.close() }
            let (bytes, error) = await drain(client)
            #expect(bytes == [9])
            #expect(error == nil)
            try await accepted.value
            server.close()
        }
    }

    @Test func readDeadlineThrowsTheTCPTimeoutAndTheConnectionStaysUsable() async throws {
        try await withReactorGroup { group in
            let server = try await TestTLSServer(group: group, context: try TestCertificates.serverContext())
            let accepted = Task { try await server.listener.accept() }
            let client = try await TLSDialer(context: try TestCertificates.clientContext()).dial(server.address, group: group)
            defer { client.close() }
            let peer = try await accepted.value
            defer { peer.close() }
            client.setReadDeadline(.after(.milliseconds(50)))
            var buffer = ByteBuffer()
            let error = await #expect(throws: NetError.self) { try await client.read(into: &buffer) }
            #expect(error?.code == .timeout)
            #expect(error?.operation == "read")
            client.setReadDeadline(nil)
            try await peer.write([5])
            #expect(try await client.read(into: &buffer) == 1)
            server.close()
        }
    }

}
