@testable import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// A read parked on a quiet connection is ended promptly by close (from any thread), by
/// task cancellation and by reactor shutdown, each with its own clear error.
@Suite struct PendingReadInterruptedTests {
    /// Starts a read on `conn` in a task on its reactor and returns once the read is parked.
    func parkedRead(_ conn: TCPConn) async throws -> Task<Int, any Error> {
        let reader = Task(executorPreference: conn.reactor) {
            var buffer = ByteBuffer()
            return try await conn.read(into: &buffer)
        }
        try await waitUntil { try await conn.reactor.submit { conn.readWait.isWaiting } }
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

/// `Listener.close()` stops accepting and wakes a pending `accept()` with `.closed`.
@Suite struct PendingAcceptInterruptedTests {
    @Test func closeWakesAPendingAccept() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let listener = try await listenBelowEphemeralRange(group: group)
            let address = listener.address
            let hold = try PortHold(address)  // refused after the close, not reused
            defer { withExtendedLifetime(hold) {} }
            let acceptor = Task { try await listener.accept() }
            try await waitUntil { listener.state.withLock { !$0.waiters.isEmpty } }  // parked
            listener.close()
            let error = await #expect(throws: NetError.self) { _ = try await acceptor.value }
            #expect(error?.code == .closed)
            #expect(error?.operation == "accept")
            await listener.waitUntilClosed()
            // Closed means closed: a new connect is refused, and a later accept fails at once.
            let refused = await refusedConnect(to: address, group: group)
            #expect(refused?.errno == ECONNREFUSED)
            await #expect(throws: NetError.self) { _ = try await listener.accept() }
        }
    }

    @Test func pendingAcceptsEachGetAConnectionWhenTheOldestIsCancelled() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let oldest = Task { try await listener.accept() }
            try await waitUntil { listener.state.withLock { $0.waiters.count == 1 } }  // parked
            let second = Task { try await listener.accept() }
            try await waitUntil { listener.state.withLock { $0.waiters.count == 2 } }
            let third = Task { try await listener.accept() }
            try await waitUntil { listener.state.withLock { $0.waiters.count == 3 } }
            oldest.cancel()
            await #expect(throws: CancellationError.self) { _ = try await oldest.value }
            #expect(listener.state.withLock { $0.waiters.count } == 2)
            // Two connects (SO_REUSEPORT may queue them on either reactor): each waiter gets one.
            let clients = [try await Dialer().dial(listener.address, group: group),
                           try await Dialer().dial(listener.address, group: group)]
            let accepted = [try await second.value, try await third.value]
            #expect(Set(accepted.map { $0.remoteAddress?.description }) == Set(clients.map { $0.localAddress?.description }))
            (accepted + clients).forEach { $0.close() }
            listener.close()
            await listener.waitUntilClosed()
        }
    }

    @Test func cancellingAPendingAcceptThrowsCancellation() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let acceptor = Task { try await listener.accept() }
            acceptor.cancel()
            await #expect(throws: CancellationError.self) { _ = try await acceptor.value }
            listener.close()
            await listener.waitUntilClosed()
        }
    }
}
