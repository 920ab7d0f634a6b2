import EventLoop
import EventLoopTLS
import EventLoopTesting
import Testing
import TestSupport

/// Interop with OpenSSL's own tools as child processes (bounded in time; skipped, saying why,
/// when the `openssl` command is missing).
@Suite struct TLSInteropTests {
    @Test(arguments: ["-tls1_3", "-tls1_2"])
    func dialerTalksToOpenSSLServer(version: String) async throws {
        guard let openssl = opensslPath else {
            print("skipped: no openssl command for s_server")
            return
        }
        try await withReactorGroup { group in
            // s_server cannot report a port it chose: a free one, again if another test took it.
            var started: (ExampleProcess, UInt16)?
            for _ in 0..<5 where started == nil {
                let port = try await freeLoopbackPort(group: group)
                let server = try ExampleProcess(path: openssl, name: "openssl s_server", arguments: [
                    "s_server", "-accept", "127.0.0.1:\(port)", "-cert", TestCertificates.path("server.pem"),
                    "-key", TestCertificates.path("server.key"), "-rev", "-naccept", "1", version, "-alpn", "h2,http/1.1",
                ])
                try await server.waitForOutput(containing: "ACCEPT")
                if server.printed.contains("ACCEPT") { started = (server, port) } else { _ = try? await server.stop(within: 30) }
            }
            let (server, port) = try #require(started, "openssl s_server never started")
            let dialer = TLSDialer(context: try TestCertificates.clientContext { $0.applicationProtocols = ["http/1.1"] })
            let client = try await dialer.dial(.ipv4(127, 0, 0, 1, port: port), group: group)
            defer { client.close() }
            #expect(client.negotiatedProtocol == "http/1.1")
            #expect(client.info.version == (version == "-tls1_3" ? .tls13 : .tls12))
            try await client.write(Array("hello\n".utf8))
            var buffer = ByteBuffer()
            try await client.readExactly(6, into: &buffer)
            #expect(buffer.readableBytesArray == Array("olleh\n".utf8))
            client.close()
            _ = try await server.stop(within: 30)
        }
    }

    @Test func openSSLClientTalksToListener() async throws {
        guard let openssl = opensslPath else {
            print("skipped: no openssl command for s_client")
            return
        }
        try await withReactorGroup { group in
            let server = try await TestTLSServer(group: group, context: try TestCertificates.serverContext {
                $0.applicationProtocols = ["h2", "http/1.1"]
            })
            let accepted = Task {
                let conn = try await server.listener.accept()
                #expect(conn.negotiatedProtocol == "http/1.1")
                #expect(conn.info.serverName == "localhost")
                try await conn.write(Array("hello from eventloop\n".utf8))
                conn.close()
            }
            let client = try ExampleProcess(path: openssl, name: "openssl s_client", arguments: [
                "s_client", "-connect", "127.0.0.1:\(server.address.port!)", "-servername", "localhost",
                "-CAfile", TestCertificates.path("ca.pem"), "-verify_return_error", "-alpn", "http/1.1", "-ign_eof",
            ])
            try await accepted.value
            _ = try await client.waitForExit(within: 20)
            #expect(client.printed.contains("hello from eventloop"))
            #expect(client.printed.contains("Verify return code: 0 (ok)"))
            server.close()
        }
    }
}
