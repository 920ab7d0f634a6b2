import CMallocCounter
import EventLoop
import EventLoopTesting
import Testing

/// Once warm, echoing a message (read, write, resume of the task) and proxying a chunk make no
/// malloc call on the reactor thread, at the async level and at the handler level.
///
/// Mallocs are counted per thread by the test binary's own malloc (CMallocCounter), on the
/// server's reactor thread only, so tests running in parallel do not disturb the count.
/// Bound: at most 0.01 mallocs per message over 5,000 messages, i.e. 50 in all. The true
/// steady-state count is 0; the slack covers one-off growth inside the Swift runtime (a task
/// allocator slab, a queue's array reaching its peak) that may land inside the window.
@Suite(.enabled(if: cel_allocation_counting_enabled() != 0, "a sanitizer owns malloc in this build"))
struct SteadyStateAllocationTests {
    static let warmup = 2_000
    static let measured = 5_000
    static let bound = 0.01

    /// Reactor-thread allocations so far.
    static func allocations(on reactor: Reactor) async throws -> UInt64 {
        try await reactor.submit { UInt64(cel_thread_allocation_count()) }
    }

    /// Ping-pongs `count` 64-byte messages through `conn` from a task on its reactor.
    static func pingPong(_ conn: TCPConn, count: Int) async throws {
        try await Task(executorPreference: conn.reactor) {
            let message = ByteBuffer(bytes: (0..<64).map { UInt8($0) })
            var reply = ByteBuffer()
            for _ in 0..<count {
                try await conn.write(message)
                reply.clear()
                try await conn.readExactly(64, into: &reply)
            }
        }.value
    }

    /// Warms up, then measures the server reactor's mallocs per message.
    static func mallocsPerMessage(server: Reactor, client: TCPConn) async throws -> Double {
        try await pingPong(client, count: warmup)
        let before = try await allocations(on: server)
        try await pingPong(client, count: measured)
        let after = try await allocations(on: server)
        return Double(after - before) / Double(measured)
    }

    @Test func asyncEchoAllocatesNothingPerMessage() async throws {
        try await withReactorGroup(reactors: 2, timeout: 60) { group in
            let server = group.reactors[0]
            let listener = try await Listener.listen(.loopbackIPv4(), on: group.reactors[0])
            Task {
                await listener.serve { conn in
                    var buffer = ByteBuffer()
                    while let count = try? await conn.read(into: &buffer), count > 0 {
                        guard (try? await conn.write(buffer)) != nil else { return }
                        buffer.clear()
                    }
                }
            }
            let client = try await Dialer().dial(listener.address, on: group.reactors[1])
            let perMessage = try await Self.mallocsPerMessage(server: server, client: client)
            #expect(perMessage <= Self.bound, "async echo: \(perMessage) mallocs per message")
            client.close()
            listener.close()
        }
    }

    final class Echo: StreamHandler {
        func readable(_ socket: StreamSocket) {
            while socket.pendingWriteBytes == 0 {
                switch try? socket.receive({ try socket.send($0) }) {
                case .processed(0)?, nil: socket.close(); return
                case .processed?: continue
                case .wouldBlock?: return
                }
            }
        }
        func writable(_ socket: StreamSocket) { readable(socket) }
    }

    @Test func handlerEchoAllocatesNothingPerMessage() async throws {
        try await withReactorGroup(reactors: 2, timeout: 60) { group in
            let listener = try await Listener.listen(.loopbackIPv4(), on: group.reactors[0])
            listener.serveHandlers { _ in Echo() }
            let client = try await Dialer().dial(listener.address, on: group.reactors[1])
            let perMessage = try await Self.mallocsPerMessage(server: group.reactors[0], client: client)
            #expect(perMessage <= Self.bound, "handler echo: \(perMessage) mallocs per message")
            client.close()
            listener.close()
        }
    }

    @Test func proxiedChunkAllocatesNothing() async throws {
        try await withReactorGroup(reactors: 2, timeout: 60) { group in
            let proxyReactor = group.reactors[0]
            let upstream = try await startEchoServer(on: group.reactors[1])
            let front = try await Listener.listen(.loopbackIPv4(), on: group.reactors[0])
            let upstreamAddress = upstream.address
            // A proxy pair on one reactor: two copy loops, each reading into its own buffer.
            Task {
                await front.serve { client in
                    guard let server = try? await Dialer().dial(upstreamAddress, on: client.reactor) else { return }
                    defer { server.close() }
                    await withTaskGroup(of: Void.self) { copies in
                        copies.addTask { await Self.copy(from: client, to: server) }
                        copies.addTask { await Self.copy(from: server, to: client) }
                    }
                }
            }
            let client = try await Dialer().dial(front.address, on: group.reactors[1])
            let perMessage = try await Self.mallocsPerMessage(server: proxyReactor, client: client)
            #expect(perMessage <= Self.bound, "proxy: \(perMessage) mallocs per chunk")
            client.close()
            front.close()
            upstream.close()
        }
    }

    static func copy(from source: TCPConn, to destination: TCPConn) async {
        var buffer = ByteBuffer()
        while let count = try? await source.read(into: &buffer), count > 0 {
            guard (try? await destination.write(buffer)) != nil else { break }
            buffer.clear()
        }
        try? await destination.closeWrite()
    }
}
