import EventLoop
import EventLoopTesting
import Glibc
import Testing

/// `withTestServer`: a port-0 server running the test's handler, stopped and leak-checked at
/// the end of the body.
@Suite struct TestServerTests {
    /// Echoes until the peer ends its stream.
    static func echo(_ conn: TCPConn) async throws {
        var buffer = ByteBuffer(capacity: 4096)
        while true {
            buffer.clear()
            guard try await conn.read(into: &buffer) > 0 else { return }
            try await conn.write(buffer)
        }
    }

    @Test func servesEachConnectionOnThePortItReports() async throws {
        let accepted = try await withTestServer(handler: Self.echo) { server in
            #expect(server.address.isLoopback)
            #expect((server.address.port ?? 0) != 0, "port 0 must be read back")
            for round in 0..<3 {
                let conn = try await server.dial()
                defer { conn.close() }
                try await conn.write(Array("round \(round)".utf8))
                var reply = ByteBuffer()
                try await conn.readExactly(7, into: &reply)
                #expect(reply.readString(length: 7) == "round \(round)")
            }
            return server.connectionsAccepted
        }
        #expect(accepted == 3)
    }

    @Test func closesConnectionsStillOpenAndWaitsForTheirHandlers() async throws {
        // The body returns while the client is still connected and the handler waits in read:
        // the server closes its end, the handler's read fails, and nothing is left.
        try await withReactorGroup { group in
            let client = try await withTestServer(group: group, handler: Self.echo) { server in
                let conn = try await server.dial()
                try await conn.write([1])
                var reply = ByteBuffer()
                try await conn.readExactly(1, into: &reply)
                #expect(server.handlersRunning == 1)
                return conn
            }
            // The server's end is gone: the client sees the end of the stream.
            var buffer = ByteBuffer(capacity: 16)
            #expect(try await client.read(into: &buffer) == 0)
            client.close()
        }
    }

    @Test func aHandlerThatThrowsFailsTheTest() async throws {
        struct Refused: Error {}
        await #expect(throws: TestServerHandlerError.self) {
            try await withTestServer(handler: { _ in throw Refused() }) { server in
                let conn = try await server.dial()
                defer { conn.close() }
                var buffer = ByteBuffer(capacity: 16)
                #expect(try await conn.read(into: &buffer) == 0)  // the handler ended, the server closed
                #expect(server.handlerErrors.count == 1)
            }
        }
    }

    /// A handler written against the `Conn` protocol, not `TCPConn`.
    static func upperCase(_ conn: any Conn) async throws {
        var buffer = ByteBuffer(capacity: 64)
        guard try await conn.read(into: &buffer) > 0 else { return }
        try await conn.write(buffer.readableBytesArray.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 })
    }

    @Test func takesAHandlerWrittenForAnyConn() async throws {
        try await withTestServer(handler: Self.upperCase) { server in
            let conn = try await server.dial()
            defer { conn.close() }
            try await conn.write(Array("abc".utf8))
            var reply = ByteBuffer()
            try await conn.readExactly(3, into: &reply)
            #expect(reply.readString(length: 3) == "ABC")
        }
    }

    @Test func listensOnTheAddressGiven() async throws {
        let path = "/tmp/eventloop-testserver-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        try await withTestServer(address: try .unix(path: path), handler: Self.echo) { server in
            #expect(server.address == (try SocketAddress.unix(path: path)))
            let conn = try await server.dial()
            defer { conn.close() }
            try await conn.write([42])
            var reply = ByteBuffer()
            try await conn.readExactly(1, into: &reply)
            #expect(reply.readableBytesArray == [42])
        }
    }
}
