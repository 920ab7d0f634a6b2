@testable import EventLoop
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
            try await waitUntil { try await conn.reactor.submit { conn.readWait.isWaiting } }
            conn.setReadDeadline(.now + .milliseconds(20))
            let error = await #expect(throws: NetError.self) { try await reader.value }
            #expect(error?.isTimeout == true)
        }
    }

    /// UDP deadlines are read on the reactor's clock, like TCP's: with a ``ManualClock`` a read
    /// deadline passes only when the test moves that clock. The clock starts at 1 s, far behind
    /// the system's monotonic clock, so a deadline compared with the system clock would fail
    /// every read at once.
    @Test func aReadDeadlineFollowsTheReactorsClock() async throws {
        let clock = ManualClock(start: Deadline(nanoseconds: 1_000_000_000))
        try await withReactorGroup(clock: clock) { group in
            let server = try await UDPConn.bind(.loopbackIPv4(), group: group)
            let client = try await UDPConn.connect(to: server.localAddress!, on: group.reactors[0])
            defer { server.close(); client.close() }
            server.setReadDeadline(clock.now + .seconds(30))
            // Before the deadline (on the manual clock) a datagram is read, not a timeout.
            try await client.write(ByteBuffer(string: "early"))
            var buffer = ByteBuffer()
            #expect(try await server.read(into: &buffer).count == 5)
            // A read that waits ends only when the clock passes the deadline.
            let reader = Task(executorPreference: server.reactor) {
                var buffer = ByteBuffer()
                return try await server.read(into: &buffer).count
            }
            try await waitUntil { try await server.reactor.submit { server.readWait.isWaiting } }
            await clock.advance(by: .seconds(29))
            #expect(try await server.reactor.submit { server.readWait.isWaiting }, "29 s in, the read still waits")
            await clock.advance(by: .seconds(1))
            let error = await #expect(throws: NetError.self) { try await reader.value }
            #expect(error?.isTimeout == true)
            #expect(error?.operation == "read")
            // A deadline moved by the clock's time: usable again.
            server.setReadDeadline(clock.now + .seconds(30))
            try await client.write(ByteBuffer(string: "late"))
            #expect(try await server.read(into: &buffer).count == 4)
        }
    }

    /// The write deadline too: one in the past on the manual clock fails a write at once, and
    /// one in its future lets it through whatever the system clock says.
    @Test func aWriteDeadlineFollowsTheReactorsClock() async throws {
        let clock = ManualClock(start: Deadline(nanoseconds: 1_000_000_000))
        try await withReactorGroup(clock: clock) { group in
            let conn = try await UDPConn.bind(.loopbackIPv4(), group: group)
            defer { conn.close() }
            conn.setWriteDeadline(clock.now + .seconds(5))
            try await conn.write(ByteBuffer(string: "x"), to: conn.localAddress!)
            await clock.advance(by: .seconds(5))
            let error = await #expect(throws: NetError.self) { try await conn.write(ByteBuffer(string: "y"), to: conn.localAddress!) }
            #expect(error?.isTimeout == true)
            #expect(error?.operation == "write")
            var buffer = ByteBuffer()
            #expect(try await conn.read(into: &buffer).count == 1)
        }
    }
}
