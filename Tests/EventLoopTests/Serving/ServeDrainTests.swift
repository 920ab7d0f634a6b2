import EventLoop
import EventLoopTesting
import Glibc
import Synchronization
import Testing
import TestSupport

/// `Listener.serve(drainTimeout:shutdown:_:)`: a task group of connection handlers that stops
/// accepting on a graceful shutdown or cancellation, drains, and cancels what is left.
@Suite struct ServeDrainTests {
    /// Echoes until the peer ends the stream; reports how the handler ended.
    static func echo(_ conn: TCPConn) async -> String {
        var buffer = ByteBuffer()
        do {
            while true {
                buffer.clear()
                if try await conn.read(into: &buffer) == 0 { return "end of stream" }
                try await conn.write(buffer)
            }
        } catch is CancellationError {
            return "cancelled"
        } catch let error as NetError where error.code == .closed {
            return "closed"
        } catch {
            return "\(error)"
        }
    }

    /// Runs `serve` with an echo handler in a child task; `body` gets the listener and the
    /// handlers' endings (one element per connection, in the order they ended).
    func withEchoServe(
        _ group: ReactorGroup, drainTimeout: Duration, shutdown: GracefulShutdown?,
        _ body: @escaping @Sendable (Listener, AsyncStream<String>, Task<Void, any Error>) async throws -> Void
    ) async throws {
        let listener = try await listenBelowEphemeralRange(group: group)
        // Connects after the close must be refused, not served by another test's listener.
        let hold = try PortHold(listener.address)
        defer { withExtendedLifetime(hold) {} }
        let (endings, endingsContinuation) = AsyncStream.makeStream(of: String.self)
        let server = Task {
            try await listener.serve(drainTimeout: drainTimeout, shutdown: shutdown) { conn in
                endingsContinuation.yield(await Self.echo(conn))
            }
        }
        do {
            try await body(listener, endings, server)
        } catch {
            server.cancel()
            _ = await server.result
            throw error
        }
        try await withTimeout(20) { try await server.value }
    }

    /// Expects `address` to refuse a new connection.
    static func expectRefused(_ address: SocketAddress, _ group: ReactorGroup) async {
        let refusal = await refusedConnect(to: address, group: group)
        #expect(refusal?.errno == ECONNREFUSED, "\(String(describing: refusal))")
    }

    @Test func aGracefulShutdownStopsAcceptingAndLetsOpenConnectionsFinish() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let shutdown = GracefulShutdown()
            try await withEchoServe(group, drainTimeout: .seconds(60), shutdown: shutdown) { listener, endings, server in
                let first = try await Dialer().dial(listener.address, group: group)
                let second = try await Dialer().dial(listener.address, group: group)
                #expect(try await first.exchange("one") == "one")
                #expect(try await second.exchange("two") == "two")

                shutdown.request()
                await listener.waitUntilClosed()
                await Self.expectRefused(listener.address, group)

                // Both connections are still served while the drain goes on.
                #expect(try await first.exchange("still one") == "still one")
                first.close()
                var iterator = endings.makeAsyncIterator()
                #expect(await iterator.next() == "end of stream")
                #expect(try await second.exchange("still two") == "still two")
                second.close()
                #expect(await iterator.next() == "end of stream")
                try await withTimeout(20) { try await server.value }
            }
        }
    }

    @Test func theDrainTimeoutCancelsAndClosesConnectionsStillOpen() async throws {
        try await withReactorGroup { group in
            let shutdown = GracefulShutdown()
            try await withEchoServe(group, drainTimeout: .milliseconds(200), shutdown: shutdown) { listener, endings, server in
                let idle = try await Dialer().dial(listener.address, group: group)
                defer { idle.close() }
                #expect(try await idle.exchange("then nothing") == "then nothing")
                shutdown.request()
                // serve returns once the straggler is cancelled and closed.
                try await withTimeout(20) { try await server.value }
                var iterator = endings.makeAsyncIterator()
                let ending = await iterator.next()
                #expect(ending == "cancelled" || ending == "closed", "\(ending ?? "nil")")
                #expect(try await idle.readUntilClosed().text.isEmpty)
            }
        }
    }

    @Test func cancellingTheServingTaskStopsAcceptingAndEndsEveryHandlerAtOnce() async throws {
        try await withReactorGroup { group in
            // A drain this long would outlast the test: cancellation must not wait for it.
            try await withEchoServe(group, drainTimeout: .seconds(3600), shutdown: nil) { listener, endings, server in
                let client = try await Dialer().dial(listener.address, group: group)
                defer { client.close() }
                #expect(try await client.exchange("hello") == "hello")
                server.cancel()
                try await withTimeout(20) { try await server.value }
                var iterator = endings.makeAsyncIterator()
                let ending = await iterator.next()
                #expect(ending == "cancelled" || ending == "closed", "\(ending ?? "nil")")
                #expect(try await client.readUntilClosed().text.isEmpty)
                await Self.expectRefused(listener.address, group)
            }
        }
    }

    @Test func closingTheListenerDrainsLikeAGracefulShutdown() async throws {
        try await withReactorGroup { group in
            try await withEchoServe(group, drainTimeout: .seconds(60), shutdown: nil) { listener, endings, server in
                let client = try await Dialer().dial(listener.address, group: group)
                #expect(try await client.exchange("before") == "before")
                listener.close()
                await listener.waitUntilClosed()
                #expect(try await client.exchange("after") == "after")
                client.close()
                var iterator = endings.makeAsyncIterator()
                #expect(await iterator.next() == "end of stream")
                try await withTimeout(20) { try await server.value }
            }
        }
    }

    @Test func aShutdownRequestedBeforeServeBeginsStopsItAtOnce() async throws {
        try await withReactorGroup { group in
            let shutdown = GracefulShutdown()
            shutdown.request()
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let handled = Atomic<Int>(0)
            try await listener.serve(drainTimeout: .seconds(60), shutdown: shutdown) { _ in
                handled.add(1, ordering: .relaxed)
            }
            #expect(handled.load(ordering: .relaxed) == 0)
            await Self.expectRefused(listener.address, group)
        }
    }
}
