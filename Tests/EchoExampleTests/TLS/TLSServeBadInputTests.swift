import EventLoop
import EventLoopTLS
import EventLoopTesting
import Foundation
import Testing
import TestSupport

/// Bad input to `serve` with TLS: each is closed and logged, and the server keeps serving;
/// bad certificate or key files stop it at start with one line naming the file.
@Suite struct TLSServeBadInputTests {
    @Test(arguments: ["async", "handler"])
    func plainHTTPIsClosedAndLogged(api: String) async throws {
        let (server, port) = try await ExampleProcess.echoServer(TLSTestFiles.serverFlags + ["--api", api])
        try await withReactorGroup(timeout: 60) { group in
            let plain = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { plain.close() }
            let client = plain.localAddress!.description
            try await plain.write(Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
            _ = try await plain.readUntilClosed()
            try await server.waitForOutput(containing: "peer=\(client)")
            let line = server.lines.first { $0.contains("peer=\(client)") } ?? ""
            #expect(line.contains("tls handshake failed"), "\(line)")
            try await Self.expectEcho(port: port, group: group)
        }
        #expect(try await server.stop() == 0)
    }

    @Test(arguments: ["async", "handler"])
    func silentClientIsClosedAtTheHandshakeTimeout(api: String) async throws {
        let (server, port) = try await ExampleProcess.echoServer(TLSTestFiles.serverFlags + ["--api", api, "--tls-handshake-timeout", "1"])
        try await withReactorGroup(timeout: 60) { group in
            let silent = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { silent.close() }
            let client = silent.localAddress!.description
            let start = ContinuousClock.now
            _ = try await silent.readUntilClosed()
            let waited = secondsSince(start)
            #expect(waited > 0.8 && waited < 20, "closed after \(waited) s")
            try await server.waitForOutput(containing: "peer=\(client)")
            let line = server.lines.first { $0.contains("peer=\(client)") } ?? ""
            #expect(line.contains("timeout"), "\(line)")
            try await Self.expectEcho(port: port, group: group)
        }
        #expect(try await server.stop() == 0)
    }

    @Test(arguments: ["async", "handler"])
    func clientWithoutCertificateFailsWhenOneIsRequired(api: String) async throws {
        let flags = TLSTestFiles.serverFlags + ["--api", api, "--tls-client-ca", TLSTestFiles.path("ca.pem")]
        let (server, port) = try await ExampleProcess.echoServer(flags)
        try await withReactorGroup(timeout: 60) { group in
            // Without a certificate: the handshake (or, in TLS 1.3, the first read) fails.
            let anonymous = try TLSContext(.client(serverName: "localhost", trustRoots: .file(TLSTestFiles.path("ca.pem"))))
            var client = "?"
            await #expect(throws: (any Error).self) {
                let conn = try await TLSDialer(context: anonymous).dial(.loopbackIPv4(port: port), group: group)
                defer { conn.close() }
                client = conn.localAddress!.description
                try await conn.write(Array("hello".utf8))
                var buffer = ByteBuffer()
                if try await conn.read(into: &buffer) == 0 { throw ExampleFailure("closed") }
            }
            if client != "?" { try await server.waitForOutput(containing: "peer=\(client)") }
            try await server.waitForOutput(containing: "tls handshake failed")
            // With one from the CA: echoed.
            var configuration = TLSConfiguration.client(serverName: "localhost", trustRoots: .file(TLSTestFiles.path("ca.pem")))
            configuration.certificate = try TLSCertifiedKey(certificateFile: TLSTestFiles.path("client.pem"), keyFile: TLSTestFiles.path("client.key"))
            let conn = try await TLSDialer(context: try TLSContext(configuration)).dial(.loopbackIPv4(port: port), group: group)
            defer { conn.close() }
            try await conn.write(Array("mutual".utf8))
            var buffer = ByteBuffer()
            try await conn.readExactly(6, into: &buffer)
            #expect(buffer.readableBytesArray == Array("mutual".utf8))
        }
        #expect(try await server.stop() == 0)
    }

    static let badFiles: [(name: String, cert: String, key: String, named: String, reason: String)] = [
        ("missing certificate", "missing.pem", "server.key", "missing.pem", "No such file or directory"),
        ("missing key", "server.pem", "missing.key", "missing.key", "No such file or directory"),
        ("mismatched key", "server.pem", "other.key", "other.key", "does not match"),
        ("passphrase key", "server.pem", "encrypted.key", "encrypted.key", "encrypted"),
        ("key as certificate", "server.key", "server.key", "server.key", "no certificate"),
        ("unreadable key (a directory)", "server.pem", "", "", "Is a directory"),
    ]

    @Test(arguments: badFiles)
    func badFilesStopTheServerAtStart(_ bad: (name: String, cert: String, key: String, named: String, reason: String)) async throws {
        let server = try ExampleProcess("EchoExample", arguments: [
            "--listen", "127.0.0.1:0", "--tls-cert", TLSTestFiles.path(bad.cert), "--tls-key", TLSTestFiles.path(bad.key),
        ])
        #expect(try await server.waitForExit(within: 30) == 1, "\(bad.name)")
        let lines = server.lines
        #expect(lines.count == 1, "\(bad.name): \(lines)")
        #expect(server.printed.contains(TLSTestFiles.path(bad.named)), "\(bad.name): \(server.printed)")
        #expect(server.printed.contains(bad.reason), "\(bad.name): \(server.printed)")
    }

    @Test func unreadableKeyStopsTheServerAtStart() async throws {
        if geteuid() == 0 {
            print("skipped: running as root, every file is readable")
            return
        }
        let key = try TLSTestFiles.temporaryFile(try String(contentsOfFile: TLSTestFiles.path("server.key"), encoding: .utf8))
        defer { try? FileManager.default.removeItem(atPath: key) }
        chmod(key, 0)
        let server = try ExampleProcess("EchoExample", arguments: [
            "--listen", "127.0.0.1:0", "--tls-cert", TLSTestFiles.path("server.pem"), "--tls-key", key,
        ])
        #expect(try await server.waitForExit(within: 30) == 1)
        #expect(server.lines.count == 1, "\(server.lines)")
        #expect(server.printed.contains(key) && server.printed.contains("Permission denied"), "\(server.printed)")
    }

    /// A TLS client still gets its bytes echoed.
    static func expectEcho(port: UInt16, group: ReactorGroup) async throws {
        let context = try TLSContext(.client(serverName: "localhost", trustRoots: .file(TLSTestFiles.path("ca.pem"))))
        let conn = try await TLSDialer(context: context).dial(.loopbackIPv4(port: port), group: group)
        defer { conn.close() }
        try await conn.write(Array("still serving".utf8))
        var buffer = ByteBuffer()
        try await conn.readExactly(13, into: &buffer)
        #expect(buffer.readableBytesArray == Array("still serving".utf8))
    }
}
