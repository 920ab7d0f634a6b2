// The example of Docs/Testing.md, word for word: if it stops compiling or passing, so does the doc.
import EventLoop
import EventLoopTesting
import Testing

/// The protocol under test: for every line `NAME` it answers `hello, NAME`.
func greeter(_ conn: TCPConn) async throws {
    var input = ByteBuffer()
    while try await conn.read(into: &input) > 0 {
        while let newline = input.firstIndex(of: UInt8(ascii: "\n")) {
            let name = input.readString(length: newline - input.readerIndex)!
            input.moveReaderIndex(forwardBy: 1)
            try await conn.write(Array("hello, \(name)\n".utf8))
        }
    }
}

@Test func greeterAnswersEveryLine() async throws {
    try await withTestServer(handler: greeter) { server in
        let conn = try await server.dial()
        defer { conn.close() }
        try await conn.write(Array("ada\nalan\n".utf8))
        var reply = ByteBuffer()
        try await conn.readExactly(23, into: &reply)
        #expect(reply.readString(length: 23) == "hello, ada\nhello, alan\n")
    }
}
