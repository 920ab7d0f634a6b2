import TestSupport
import EventLoop
import EventLoopTesting
import Testing

/// The client sends, shuts its write side, and still receives the whole reply.
@Suite struct HalfCloseTests {
    @Test func clientClosesWriteThenReadsReply() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let serverDone = Task {
                let conn = try await listener.accept()
                defer { conn.close() }
                let request = try await conn.readAll()  // reads until the client's FIN
                var reply = ByteBuffer(string: "got ")
                reply.writeString(String(request.readableBytes))
                reply.writeBytes(Pattern.bytes(at: 0, count: 1 << 20).readableBytesArray)
                try await conn.write(reply)
                try await conn.closeWrite()
            }
            let client = try await Dialer().dial(listener.address, group: group)
            defer { client.close() }
            try await client.write(Pattern.bytes(at: 0, count: 300_000))
            try await client.closeWrite()
            var reply = try await client.readAll()
            #expect(reply.readString(length: 10) == "got 300000")
            #expect(reply.readableBytes == 1 << 20)
            #expect(Pattern.matches(reply, at: 0))
            try await serverDone.value
            listener.close()
        }
    }

    @Test func writeAfterCloseWriteFails() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            try await pair.client.closeWrite()
            await #expect(throws: NetError.self) { try await pair.client.write([1, 2, 3]) }
            var buffer = ByteBuffer()
            #expect(try await pair.server.read(into: &buffer) == 0)
            // The other direction still works.
            try await pair.server.write([9])
            #expect(try await pair.client.read(into: &buffer) == 1)
        }
    }
}
