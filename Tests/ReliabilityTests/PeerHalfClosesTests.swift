import TestSupport
import EventLoop
import EventLoopTesting
import Testing

/// The peer shuts its write side (FIN) and keeps reading: the server's read returns 0, reads
/// after that keep returning 0, and the server can still send a large reply.
@Suite struct PeerHalfClosesTests {
    @Test func readReturnsZeroAndTheOtherDirectionStillWorks() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            try await pair.client.write(Pattern.bytes(at: 0, count: 5_000))
            try await pair.client.closeWrite()
            var request = ByteBuffer()
            try await pair.server.readExactly(5_000, into: &request)
            #expect(Pattern.matches(request, at: 0))
            var more = ByteBuffer()
            #expect(try await pair.server.read(into: &more) == 0)
            #expect(try await pair.server.read(into: &more) == 0, "end of stream is sticky")
            // Server to client, after the client's FIN: 4 MiB in several writes.
            let reader = Task { try await pair.client.readAll(limit: 8 << 20) }
            for part in 0..<4 {
                try await pair.server.write(Pattern.bytes(at: part << 20, count: 1 << 20))
            }
            try await pair.server.closeWrite()
            let reply = try await reader.value
            #expect(reply.readableBytes == 4 << 20)
            #expect(Pattern.matches(reply, at: 0))
        }
    }
}
