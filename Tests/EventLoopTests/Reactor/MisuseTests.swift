@testable import EventLoop
import EventLoopTesting
import TestSupport
import Testing

/// Misuse of a connection gets a typed error naming the operation, never a crash or a hang:
/// calls after close, a second close, two reads (or writes) at once, a deadline in the past.
/// (A read parked when the connection closes, and a second concurrent TCP read, are in
/// PendingReadInterruptedTests; a write after closeWrite in HalfCloseTests.)
@Suite struct MisuseTests {
    /// Every call on a closed TCP connection fails with `.closed` and its operation's name,
    /// and closing again is harmless.
    @Test func tcpCallsAfterCloseFailWithClosed() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let conn = pair.client
            conn.close()
            conn.close()
            var buffer = ByteBuffer()
            let read = await #expect(throws: NetError.self) { _ = try await conn.read(into: &buffer) }
            #expect(read?.code == .closed)
            #expect(read?.operation == "read")
            let write = await #expect(throws: NetError.self) { try await conn.write([1, 2, 3]) }
            #expect(write?.code == .closed)
            #expect(write?.operation == "write")
            let closeWrite = await #expect(throws: NetError.self) { try await conn.closeWrite() }
            #expect(closeWrite?.code == .closed)
            let option = await #expect(throws: NetError.self) { try await conn.setOption(.noDelay, 1) }
            #expect(option?.code == .closed)
            conn.close()
            // The peer sees end of stream, once.
            #expect(try await pair.server.read(into: &buffer) == 0)
        }
    }

    /// The same for a UDP socket: read, write, batch calls and options after close.
    @Test func udpCallsAfterCloseFailWithClosed() async throws {
        try await withReactorGroup { group in
            let conn = try await UDPConn.bind(.loopbackIPv4(), group: group)
            let address = conn.localAddress!
            conn.close()
            conn.close()
            var buffer = ByteBuffer()
            let read = await #expect(throws: NetError.self) { _ = try await conn.read(into: &buffer) }
            #expect(read?.code == .closed)
            #expect(read?.operation == "read")
            var batch: [Datagram] = []
            let batchRead = await #expect(throws: NetError.self) { _ = try await conn.read(into: &batch) }
            #expect(batchRead?.code == .closed)
            let write = await #expect(throws: NetError.self) { try await conn.write(ByteBuffer(string: "x"), to: address) }
            #expect(write?.code == .closed)
            #expect(write?.operation == "write")
            let option = await #expect(throws: NetError.self) { try await conn.setOption(.broadcast, 1) }
            #expect(option?.code == .closed)
            conn.close()
        }
    }

    /// A close while a UDP read waits ends it with `.closed`; the socket stays closed.
    @Test func udpCloseEndsAPendingRead() async throws {
        try await withReactorGroup { group in
            let conn = try await UDPConn.bind(.loopbackIPv4(), group: group)
            let reader = Task(executorPreference: conn.reactor) {
                var buffer = ByteBuffer()
                return try await conn.read(into: &buffer).count
            }
            try await waitUntil { try await conn.reactor.submit { conn.readWait.isWaiting } }
            conn.close()
            let error = await #expect(throws: NetError.self) { try await reader.value }
            #expect(error?.code == .closed)
            #expect(error?.operation == "read")
        }
    }

    /// A second UDP read while one waits gets `.concurrentOperation`; the first gets its datagram.
    @Test func udpSecondConcurrentReadIsRejected() async throws {
        try await withReactorGroup { group in
            let (first, second) = try await UDPConn.pair(on: group.reactors[0])
            defer { first.close(); second.close() }
            let reader = Task(executorPreference: first.reactor) {
                var buffer = ByteBuffer()
                _ = try await first.read(into: &buffer)
                return buffer.readBytes(length: buffer.readableBytes)
            }
            try await waitUntil { try await first.reactor.submit { first.readWait.isWaiting } }
            var buffer = ByteBuffer()
            let error = await #expect(throws: NetError.self) { _ = try await first.read(into: &buffer) }
            #expect(error?.code == .concurrentOperation)
            #expect(error?.operation == "read")
            try await second.write(ByteBuffer(bytes: [4, 5, 6]))
            #expect(try await reader.value == [4, 5, 6])
        }
    }

    /// A second TCP write while one waits for a peer that does not read gets
    /// `.concurrentOperation`; the first write's bytes arrive whole and in order.
    @Test func tcpSecondConcurrentWriteIsRejectedAndTheFirstIsIntact() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let conn = pair.client
            let total = 8 << 20  // far more than the socket buffers hold: the write waits
            let writer = Task(executorPreference: conn.reactor) {
                try await conn.write(Pattern.bytes(at: 0, count: total))
            }
            try await waitUntil { try await conn.reactor.submit { conn.writeWait.isWaiting } }
            let error = await #expect(throws: NetError.self) { try await conn.write([0xFF, 0xFF]) }
            #expect(error?.code == .concurrentOperation)
            #expect(error?.operation == "write")
            var received = ByteBuffer()
            try await pair.server.readExactly(total, into: &received)
            try await writer.value
            #expect(received.readableBytes == total)
            #expect(Pattern.matches(received, at: 0))
            // Nothing of the rejected write followed.
            try await conn.closeWrite()
            #expect(try await pair.server.read(into: &received) == 0)
        }
    }

    /// A write deadline in the past fails the next write at once with `.timeout`; after the
    /// deadline is reset the connection writes again.
    @Test func tcpPastWriteDeadlineFailsAtOnceAndResetRestores() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            pair.client.setWriteDeadline(.now - .seconds(1))
            let error = await #expect(throws: NetError.self) { try await pair.client.write([1]) }
            #expect(error?.isTimeout == true)
            #expect(error?.operation == "write")
            pair.client.setWriteDeadline(nil)
            try await pair.client.write([2])
            var buffer = ByteBuffer()
            #expect(try await pair.server.read(into: &buffer) == 1)
            #expect(buffer.readBytes(length: 1) == [2])
        }
    }

    /// A UDP read deadline in the past fails at once; reset, the socket reads the next datagram.
    @Test func udpPastReadDeadlineFailsAtOnceAndResetRestores() async throws {
        try await withReactorGroup { group in
            let (first, second) = try await UDPConn.pair(on: group.reactors[0])
            defer { first.close(); second.close() }
            first.setReadDeadline(.now - .seconds(1))
            var buffer = ByteBuffer()
            let error = await #expect(throws: NetError.self) { _ = try await first.read(into: &buffer) }
            #expect(error?.isTimeout == true)
            #expect(error?.operation == "read")
            first.setReadDeadline(nil)
            try await second.write(ByteBuffer(bytes: [9]))
            #expect(try await first.read(into: &buffer).count == 1)
        }
    }

    /// A UDP write deadline in the past fails the next write at once; reset, writes go again.
    @Test func udpPastWriteDeadlineFailsAtOnceAndResetRestores() async throws {
        try await withReactorGroup { group in
            let (first, second) = try await UDPConn.pair(on: group.reactors[0])
            defer { first.close(); second.close() }
            first.setWriteDeadline(.now - .seconds(1))
            let error = await #expect(throws: NetError.self) { try await first.write(ByteBuffer(bytes: [1])) }
            #expect(error?.isTimeout == true)
            #expect(error?.operation == "write")
            first.setWriteDeadline(nil)
            try await first.write(ByteBuffer(bytes: [2]))
            var buffer = ByteBuffer()
            #expect(try await second.read(into: &buffer).count == 1)
            #expect(buffer.readBytes(length: 1) == [2])
        }
    }
}
