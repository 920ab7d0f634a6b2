import TestSupport
import EventLoop
import EventLoopTesting
import Glibc
import Testing

/// The peer resets (SO_LINGER 0) while the server is suspended in the middle of a message:
/// the read throws ECONNRESET naming `read` and the peer, and the listener serves on.
@Suite struct PeerResetsMidReadTests {
    @Test func pendingReadFailsWithConnectionReset() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            async let accepted = listener.accept()
            let client = try await Dialer().dial(listener.address, group: group)
            let server = try await accepted
            defer { server.close() }
            // Half of a 2,000-byte message, then a reset while the server waits for the rest.
            try await client.write(Pattern.bytes(at: 0, count: 1_000))
            var buffer = ByteBuffer()
            let outcome = Task {
                do {
                    try await server.readExactly(2_000, into: &buffer)
                    return Result<Int, NetError>.success(buffer.readableBytes)
                } catch let error as NetError {
                    return .failure(error)
                }
            }
            try await waitUntil { server.stats.bytesRead == 1_000 }
            client.abort()
            guard case .failure(let error) = try await outcome.value else {
                Issue.record("the read completed after a reset")
                return
            }
            #expect(error.errno == ECONNRESET, "\(error)")
            #expect(error.operation == "read")
            #expect(error.description.contains("127.0.0.1:"))
            // The server (this process, this listener) carries on.
            async let next = listener.accept()
            let again = try await Dialer().dial(listener.address, group: group)
            defer { again.close() }
            let peer = try await next
            defer { peer.close() }
            try await again.write([7, 8, 9])
            var reply = ByteBuffer()
            try await peer.readExactly(3, into: &reply)
            #expect(reply.readableBytesArray == [7, 8, 9])
            listener.close()
        }
    }
}
