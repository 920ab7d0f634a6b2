import EventLoop
import EventLoopTesting
import Testing

/// Read and write deadlines on a datagram socket follow the `Conn` rules.
@Suite struct UDPDeadlineTests {
    @Test func pendingReadTimesOutAndTheSocketStaysUsable() async throws {
        try await withReactorGroup { group in
            let server = try await UDPConn.bind(.loopbackIPv4(), group: group)
            defer { server.close() }
            let start = Deadline.now
            server.setReadDeadline(.now + .milliseconds(50))
            var buffer = ByteBuffer()
            let error = try await #require(throws: NetError.self) { try await server.read(into: &buffer) }
            #expect(error.isTimeout)
            #expect((Deadline.now - start) >= .milliseconds(50))
            // Cleared, the next read gets the next datagram.
            server.setReadDeadline(nil)
            let client = try await UDPConn.connect(to: server.localAddress!, on: group.reactors[0])
            defer { client.close() }
            try await client.write(ByteBuffer(string: "late"))
            #expect(try await server.read(into: &buffer).count == 4)
        }
    }

    @Test func pastDeadlineFailsAtOnce() async throws {
        try await withReactorGroup { group in
            let conn = try await UDPConn.bind(.loopbackIPv4(), group: group)
            defer { conn.close() }
            conn.setDeadline(.now - .milliseconds(1))
            var batch: [Datagram] = []
            let readError = try await #require(throws: NetError.self) { try await conn.read(into: &batch) }
            #expect(readError.isTimeout)
            let writeError = try await #require(throws: NetError.self) {
                try await conn.write(ByteBuffer(string: "x"), to: conn.localAddress!)
            }
            #expect(writeError.isTimeout)
            #expect(writeError.operation == "write")
        }
    }

    /// Moving the deadline of a pending batch read re-arms it.
    @Test func movingTheDeadlineRearmsAPendingRead() async throws {
        try await withReactorGroup { group in
            let conn = try await UDPConn.bind(.loopbackIPv4(), group: group)
            defer { conn.close() }
            conn.setReadDeadline(.now + .seconds(60))
            let reader = Task(executorPreference: conn.reactor) {
                var batch: [Datagram] = []
                return try await conn.read(into: &batch)
            }
            // The reader was queued on this reactor first: one yield lets it start and suspend.
            await Task.yield()
            conn.setReadDeadline(.now + .milliseconds(20))
            let error = await #expect(throws: NetError.self) { try await reader.value }
            #expect(error?.isTimeout == true)
        }
    }
}
