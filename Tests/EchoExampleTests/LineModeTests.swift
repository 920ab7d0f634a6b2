import TestSupport
import EventLoop
import EventLoopTesting
import Foundation
import Testing

/// `serve --mode line` end to end: the protocol of the Go example, on both API levels.
@Suite struct LineModeTests {
    @Test(arguments: ["async", "handler"])
    func answersEveryKindOfLine(api: String) async throws {
        let (server, port) = try await ExampleProcess.echoServer(["--mode", "line", "--api", api, "--threads", "2"])
        try await withReactorGroup(timeout: 60) { group in
            let conn = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { conn.close() }
            #expect(try await conn.exchange("hello\n", expecting: "Echo: hello\n") == "Echo: hello\n")
            #expect(try await conn.exchange("crlf\r\n", expecting: "Echo: crlf\n") == "Echo: crlf\n")
            #expect(try await conn.exchange("\n", expecting: "Echo: \n") == "Echo: \n")
            #expect(try await conn.exchange("\r\n", expecting: "Echo: \n") == "Echo: \n")
            // Several lines in one write, and one line in several writes.
            #expect(try await conn.exchange("a\nb\r\nc\n", expecting: "Echo: a\nEcho: b\nEcho: c\n") == "Echo: a\nEcho: b\nEcho: c\n")
            try await conn.write(Array("spl".utf8))
            try await conn.write(Array("it\r".utf8))
            #expect(try await conn.exchange("\n", expecting: "Echo: split\n") == "Echo: split\n")
            // A final line without a newline is answered at end of stream, then the server closes.
            try await conn.write(Array("one\nlast words".utf8))
            try await conn.closeWrite()
            let rest = try await conn.readUntilClosed()
            #expect(rest.text == "Echo: one\nEcho: last words\n")
            #expect(!rest.reset)
        }
        #expect(try await server.stop() == 0)
        #expect(try server.totals()["lines_too_long"] == 0)
    }

    @Test(arguments: ["async", "handler"])
    func closesAfterALineOverTheLimit(api: String) async throws {
        let (server, port) = try await ExampleProcess.echoServer(["--mode", "line", "--api", api, "--max-line", "16"])
        try await withReactorGroup(timeout: 60) { group in
            // Exactly the limit is fine, with LF or CRLF; one byte more is not.
            let conn = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { conn.close() }
            let sixteen = String(repeating: "x", count: 16)
            #expect(try await conn.exchange(sixteen + "\r\n", expecting: "Echo: \(sixteen)\n") == "Echo: \(sixteen)\n")
            try await conn.write(Array("before\n\(sixteen)y\nafter\n".utf8))
            let answer = try await conn.readUntilClosed()
            #expect(answer.text == "Echo: before\nERR line too long\n")
            #expect(!answer.reset, "the answer is followed by an orderly end of stream")

            // Detected before any newline arrives: the server does not wait for one.
            let endless = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { endless.close() }
            try await endless.write([UInt8](repeating: 0x61, count: 100))
            let cut = try await endless.readUntilClosed()
            #expect(cut.text == "ERR line too long\n")
        }
        #expect(try await server.stop() == 0)
        #expect(try server.totals()["lines_too_long"] == 2)
    }

    /// Lines are logged at trace level only; the default level logs no connection at all.
    @Test func logsLinesOnlyAtTraceLevel() async throws {
        let (quiet, quietPort) = try await ExampleProcess.echoServer(["--mode", "line"])
        let (chatty, chattyPort) = try await ExampleProcess.echoServer(["--mode", "line", "--log-level", "trace"])
        try await withReactorGroup(timeout: 60) { group in
            for port in [quietPort, chattyPort] {
                let conn = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
                defer { conn.close() }
                #expect(try await conn.exchange("said it\n", expecting: "Echo: said it\n") == "Echo: said it\n")
            }
        }
        try await chatty.waitForOutput(containing: "trace: line conn=1 text=\"said it\"")
        #expect(try await quiet.stop() == 0)
        #expect(try await chatty.stop() == 0)
        #expect(!quiet.printed.contains("conn="), "\(quiet.printed)")
        #expect(chatty.printed.contains("debug: connection opened conn=1"))
    }
}
