import EventLoop
import EventLoopTLS
import EventLoopTesting
import Foundation
import Testing
import TestSupport

/// `serve --tls-cert/--tls-key` end to end: `openssl s_client` and the library's `TLSDialer`
/// against the built binary, in raw and line mode at both API levels.
@Suite struct TLSServeTests {
    static let levels: [(mode: String, api: String)] = [("raw", "async"), ("raw", "handler"), ("line", "async"), ("line", "handler")]

    @Test(arguments: levels)
    func openSSLClientGetsItsLineEchoed(mode: String, api: String) async throws {
        guard let openssl = TLSTestFiles.openssl else {
            print("skipped: no openssl command for s_client")
            return
        }
        let (server, port) = try await ExampleProcess.echoServer(TLSTestFiles.serverFlags + ["--mode", mode, "--api", api, "--alpn", "echo"])
        let input = try TLSTestFiles.temporaryFile("tls echo token\n")
        defer { try? FileManager.default.removeItem(atPath: input) }
        // s_client reads the line from a file and stays connected (-ign_eof) until stopped.
        let client = try ExampleProcess(path: "/bin/sh", name: "openssl s_client", arguments: [
            "-c", "exec \"$0\" s_client -connect 127.0.0.1:\(port) -servername localhost -CAfile \"$1\" -verify_return_error -alpn echo -ign_eof < \"$2\"",
            openssl, TLSTestFiles.path("ca.pem"), input,
        ])
        let expected = mode == "line" ? "Echo: tls echo token" : "tls echo token"
        try await client.waitForOutput(containing: expected, within: 30)
        _ = try await client.stop()
        #expect(client.printed.contains("Verify return code: 0 (ok)"))
        #expect(client.printed.contains("ALPN protocol: echo"))
        #expect(try await server.stop() == 0)
    }

    @Test(arguments: levels)
    func dialerEchoesBytesBothLevels(mode: String, api: String) async throws {
        let (server, port) = try await ExampleProcess.echoServer(TLSTestFiles.serverFlags + ["--mode", mode, "--api", api])
        try await withReactorGroup(timeout: 60) { group in
            let context = try TLSContext(.client(serverName: "localhost", trustRoots: .file(TLSTestFiles.path("ca.pem"))))
            let conn = try await TLSDialer(context: context).dial(.loopbackIPv4(port: port), group: group)
            defer { conn.close() }
            let message = mode == "line" ? "one\ntwo\n" : String(repeating: "0123456789", count: 2000)
            let answer = mode == "line" ? "Echo: one\nEcho: two\n" : message
            try await conn.write(Array(message.utf8))
            var buffer = ByteBuffer()
            try await conn.readExactly(answer.utf8.count, into: &buffer)
            #expect(buffer.readableBytesArray == Array(answer.utf8))
            try await conn.closeWrite()
        }
        #expect(try await server.stop() == 0)
    }

    /// Line mode: a last line without a newline, then `close_notify`, is answered before the
    /// server's own `close_notify`, as at the end of a plain TCP stream.
    @Test(arguments: ["async", "handler"])
    func aLastLineWithoutNewlineIsAnsweredAtCloseNotify(api: String) async throws {
        let (server, port) = try await ExampleProcess.echoServer(TLSTestFiles.serverFlags + ["--mode", "line", "--api", api])
        try await withReactorGroup(timeout: 60) { group in
            let context = try TLSContext(.client(serverName: "localhost", trustRoots: .file(TLSTestFiles.path("ca.pem"))))
            let conn = try await TLSDialer(context: context).dial(.loopbackIPv4(port: port), group: group)
            defer { conn.close() }
            try await conn.write(Array("one\nlast".utf8))
            try await conn.closeWrite()
            var buffer = ByteBuffer()
            while try await conn.read(into: &buffer) > 0 {}
            #expect(buffer.readString(length: buffer.readableBytes) == "Echo: one\nEcho: last\n")
        }
        #expect(try await server.stop() == 0)
    }
}
