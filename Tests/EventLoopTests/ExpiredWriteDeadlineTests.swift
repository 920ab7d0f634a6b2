import EventLoop
import EventLoopTesting
import Testing

/// A write started after its deadline has passed fails with `.timeout` at once, and leaves the
/// connection free for the next write: it must not stay marked as a pending write (which made
/// every later write fail with `.concurrentOperation`, seen when a write completed just
/// before its deadline and the next one began just after it).
@Suite struct ExpiredWriteDeadlineTests {
    @Test func tcpWriteAfterItsDeadlineFailsOnceAndTheNextWriteGoesThrough() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            pair.client.setWriteDeadline(.now)
            for _ in 0..<2 {
                let error = await #expect(throws: NetError.self) { try await pair.client.write(ByteBuffer(bytes: [1])) }
                #expect(error?.isTimeout == true, "\(String(describing: error))")
            }
            pair.client.setWriteDeadline(nil)
            try await pair.client.write(ByteBuffer(bytes: [2]))
            var received = ByteBuffer()
            #expect(try await pair.server.read(into: &received) == 1)
            #expect(received == ByteBuffer(bytes: [2]))
        }
    }

    @Test func udpWriteAfterItsDeadlineFailsOnceAndTheNextWriteGoesThrough() async throws {
        try await withReactorGroup { group in
            let server = try await UDPConn.bind(.loopbackIPv4(), on: group.reactors[0])
            let client = try await UDPConn.connect(to: server.localAddress!, on: group.reactors[0])
            defer { server.close(); client.close() }
            client.setWriteDeadline(.now)
            for _ in 0..<2 {
                let error = await #expect(throws: NetError.self) { try await client.write(ByteBuffer(bytes: [1])) }
                #expect(error?.isTimeout == true, "\(String(describing: error))")
            }
            client.setWriteDeadline(nil)
            try await client.write(ByteBuffer(bytes: [2]))
            var received = ByteBuffer()
            #expect(try await server.read(into: &received).count == 1)
            #expect(received == ByteBuffer(bytes: [2]))
        }
    }
}
