@testable import EventLoop
import EventLoopTesting
import Testing

/// A read parked on a quiet connection is ended promptly by close (from any thread), by
/// task cancellation and by reactor shutdown, each with its own clear error.
@Suite struct PendingReadInterruptedTests {
    /// Starts a read on `conn` in a task on its reactor and returns once the read is parked.
    func parkedRead(_ conn: TCPConn) async throws -> Task<Int, any Error> {
        let reader = Task(executorPreference: conn.reactor) {
            var buffer = ByteBuffer()
            return try await conn.read(into: &buffer)
        }
        try await waitUntil { try await conn.reactor.submit { conn.readWaiter != nil } }
        return reader
    }

    @Test func closeOnTheReactorFailsPendingRead() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let reader = try await parkedRead(pair.client)
            pair.client.reactor.execute { pair.client.close() }
            let error = await #expect(throws: NetError.self) { try await reader.value }
            #expect(error?.code == .closed)
            #expect(error?.operation == "read")
        }
    }

    @Test func closeFromAnotherThreadFailsPendingRead() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let reader = try await parkedRead(pair.client)
            await Task.detached { pair.client.close() }.value
            let error = await #expect(throws: NetError.self) { try await reader.value }
            #expect(error?.code == .closed)
            // Idempotent, and later calls fail the same way.
            pair.client.close()
            var buffer = ByteBuffer()
            await #expect(throws: NetError.self) { _ = try await pair.client.read(into: &buffer) }
        }
    }

    @Test func cancellationEndsPendingReadAndConnectionStaysUsable() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let reader = try await parkedRead(pair.client)
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
            try await pair.server.write([42])
            var buffer = ByteBuffer()
            #expect(try await pair.client.read(into: &buffer) == 1)
            #expect(buffer.readBytes(length: 1) == [42])
        }
    }

    @Test func secondConcurrentReadIsRejected() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let first = try await parkedRead(pair.client)
            var buffer = ByteBuffer()
            let error = await #expect(throws: NetError.self) { _ = try await pair.client.read(into: &buffer) }
            #expect(error?.code == .concurrentOperation)
            // The first read is unaffected.
            try await pair.server.write([1, 2])
            #expect(try await first.value == 2)
        }
    }

    @Test func reactorShutdownFailsPendingRead() async throws {
        let group = try ReactorGroup(count: 1, name: "test")
        let pair = try await LoopbackPair.make(group: group)
        let reader = try await parkedRead(pair.client)
        await group.shutdown()
        let error = await #expect(throws: NetError.self) { try await reader.value }
        #expect(error?.code == .reactorStopped)
        #expect(group.openSocketCount == 0)
        // Calls after shutdown fail at once instead of hanging.
        var buffer = ByteBuffer()
        await #expect(throws: NetError.self) { _ = try await pair.server.read(into: &buffer) }
        await #expect(throws: NetError.self) { _ = try await Dialer().dial(.loopbackIPv4(port: 9), on: group.reactors[0]) }
    }
}
