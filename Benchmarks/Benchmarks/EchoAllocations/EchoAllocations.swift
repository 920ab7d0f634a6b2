// Malloc calls per unit of echo work, counted over the whole process (both reactor threads,
// the benchmark's own thread and the Swift runtime), in a release build.
//
// Every benchmark runs a one-reactor server group and a one-reactor client group on
// 127.0.0.1, started by setup and shut down by teardown:
//   - "async echo, per message": a `Listener.serve` task per connection echoes with
//     `read(into:)` / `write(_:)` into one reused buffer. One connected client ping-pongs 64-byte
//     messages (write one, `readExactly` its echo) from a task on the client reactor, reusing one
//     message buffer and one reply buffer. One iteration = one message there and back.
//   - "handler echo, per message": the same client against a `StreamHandler` server that
//     echoes from the reactor's scratch buffer (`receive` / `send`) and stops reading while its
//     echo is queued (`pendingWriteBytes > 0`), resuming in `writable`.
//   - "new connection, per connection": against the async server, one iteration dials, sends
//     64 bytes, reads their echo, half-closes and waits for the server's end of stream, then
//     closes. Client and server sides are counted together: the waiting for the server's end of
//     stream makes the server's work for the connection (accept, its task, the close) finish
//     inside the iteration that caused it.
//
// Setup warms each case up (10,000 messages, or 1,000 connections) so that buffer pools, queues
// and the runtime's caches have reached their steady size before anything is measured.
//
// What remains inside the measured block besides the iterations: each sample (1,000
// iterations, `scalingFactor: .kilo`) runs in one `Task(executorPreference: clientReactor)`
// awaited by the benchmark's task, so that task's creation (its object, its closure context, a
// task-allocator slab for the executor preference and one for its frames) and the resume of
// the awaiting task through the global executor are counted once per sample, spread over the
// 1,000 iterations: about 6 mallocs per sample with Swift 6.3, i.e. 0.006 per iteration.
// Nothing else is: the connection, the message and the reply buffer of the message cases live
// across samples.
//
// Run: cd Benchmarks && swift package --allow-writing-to-package-directory benchmark --target EchoAllocations
// The table shows values per iteration (marked `*`, rounded to whole numbers); add `--scale`
// for the totals per sample of 1,000 iterations, which show the fractions. Add
// `--allocation-stacks` to list where the measured mallocs come from.

import Benchmark
import EventLoop
import Synchronization

/// Bytes per message, each way.
let messageSize = 64

enum EchoBenchmarkError: Error {
    case shortEcho(Int)
    case echoMismatch
    case unexpectedData(Int)
}

// MARK: servers

/// The async echo of one connection: one buffer, reused; a pooled chunk while data is in it.
@Sendable func asyncEcho(_ conn: TCPConn) async {
    var buffer = ByteBuffer()
    do {
        while try await conn.read(into: &buffer) > 0 {
            try await conn.write(buffer)
            buffer.clear()
        }
    } catch {
        // The peer went away or the reactor stopped: the listener closes the connection.
    }
}

/// The handler-level echo: sends back what arrives, from the reactor's scratch buffer, and
/// stops reading while part of an echo is still queued (back-pressure).
final class EchoHandler: StreamHandler {
    func readable(_ socket: StreamSocket) {
        while socket.pendingWriteBytes == 0 {
            do {
                switch try socket.receive({ try socket.send($0) }) {
                case .processed(0):
                    socket.close()
                    return
                case .processed:
                    continue
                case .wouldBlock:
                    return
                }
            } catch {
                socket.close()
                return
            }
        }
    }

    func writable(_ socket: StreamSocket) {
        readable(socket)
    }
}

enum EchoServerKind: Sendable {
    case async
    case handler
}

/// A one-reactor server group with its echo listener and a one-reactor client group, per
/// benchmark run: started by setup, shut down by teardown.
final class EchoFixture: Sendable {
    private struct Running: Sendable {
        let server: ReactorGroup
        let client: ReactorGroup
        let listener: Listener
        /// The task inside `listener.serve` (async server only); it returns after `close()`.
        let serving: Task<Void, Never>?
        /// The ping-pong connection, when there is one.
        var conn: TCPConn?
    }

    private let kind: EchoServerKind
    private let running = Mutex<Running?>(nil)

    init(_ kind: EchoServerKind) {
        self.kind = kind
    }

    /// Starts both groups and the server; returns the client's reactor and the server's address.
    func start() async throws -> (client: Reactor, address: SocketAddress) {
        let server = try ReactorGroup(count: 1, name: "echo-server")
        let client: ReactorGroup
        let listener: Listener
        do {
            client = try ReactorGroup(count: 1, name: "echo-client")
        } catch {
            await server.shutdown()
            throw error
        }
        do {
            listener = try await Listener.listen(.loopbackIPv4(), on: server.reactors[0])
        } catch {
            await client.shutdown()
            await server.shutdown()
            throw error
        }
        let serving: Task<Void, Never>?
        switch kind {
        case .async:
            serving = Task { await listener.serve(asyncEcho) }
        case .handler:
            listener.serveHandlers({ _ in EchoHandler() })
            serving = nil
        }
        running.withLock { $0 = Running(server: server, client: client, listener: listener, serving: serving) }
        return (client.reactors[0], listener.address)
    }

    /// Starts, dials one connection and warms it up with `warmup` ping-pongs.
    func startPingPong(warmup: Int) async throws -> PingPongClient {
        let (reactor, address) = try await start()
        do {
            let conn = try await Dialer().dial(address, on: reactor)
            running.withLock { $0?.conn = conn }
            let client = PingPongClient(conn)
            try await client.warmUp(warmup)
            return client
        } catch {
            await stop()
            throw error
        }
    }

    /// Starts and warms up with `warmup` connections.
    func startConnecting(warmup: Int) async throws -> ConnectClient {
        let (reactor, address) = try await start()
        let client = ConnectClient(reactor: reactor, address: address)
        do {
            try await client.run(warmup)
            return client
        } catch {
            await stop()
            throw error
        }
    }

    /// Closes the connection and the listener, waits for the server task, shuts both groups down.
    func stop() async {
        let taken = running.withLock { running -> Running? in
            defer { running = nil }
            return running
        }
        guard let taken else { return }
        taken.conn?.close()
        taken.listener.close()
        await taken.serving?.value
        await taken.client.shutdown()
        await taken.server.shutdown()
    }
}

/// A message filled with a recognisable pattern.
func makeMessage() -> ByteBuffer {
    ByteBuffer(bytes: (0..<messageSize).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) })
}

// MARK: clients

// @unchecked Sendable (both clients): their mutable state (the reply buffer) is used only by
// the task that `run` starts on the client reactor, and the benchmark awaits each such task
// before it starts the next, so one task at a time touches it.

/// One connection ping-ponging `messageSize`-byte messages, one message and one reply buffer
/// for its whole life.
final class PingPongClient: @unchecked Sendable {
    let conn: TCPConn
    private let message = makeMessage()
    private var reply = ByteBuffer()

    init(_ conn: TCPConn) {
        self.conn = conn
    }

    /// `count` ping-pongs in one task on the client reactor.
    func run(_ count: Int) async throws {
        try await Task(executorPreference: conn.reactor) {
            try await self.exchange(count, verify: false)
        }.value
    }

    /// `count` ping-pongs, checking every echo.
    func warmUp(_ count: Int) async throws {
        try await Task(executorPreference: conn.reactor) {
            try await self.exchange(count, verify: true)
        }.value
    }

    /// The measured loop: write the message, read its echo into the reply buffer.
    @inline(never)
    private func exchange(_ count: Int, verify: Bool) async throws {
        // A local for the duration (no inout access to a class property held across awaits).
        var reply = self.reply
        self.reply = ByteBuffer()
        defer { self.reply = reply }
        for _ in 0..<count {
            try await conn.write(message)
            reply.clear()
            try await conn.readExactly(messageSize, into: &reply)
            if reply.readableBytes != messageSize { throw EchoBenchmarkError.shortEcho(reply.readableBytes) }
            if verify && reply != message { throw EchoBenchmarkError.echoMismatch }
        }
    }
}

/// New connections, one after another: dial, one message each way, close.
final class ConnectClient: @unchecked Sendable {
    let reactor: Reactor
    let address: SocketAddress
    private let dialer = Dialer()
    private let message = makeMessage()
    private var reply = ByteBuffer()

    init(reactor: Reactor, address: SocketAddress) {
        self.reactor = reactor
        self.address = address
    }

    /// `count` connections in one task on the client reactor.
    func run(_ count: Int) async throws {
        try await Task(executorPreference: reactor) {
            try await self.connections(count)
        }.value
    }

    @inline(never)
    private func connections(_ count: Int) async throws {
        var reply = self.reply
        self.reply = ByteBuffer()
        defer { self.reply = reply }
        for _ in 0..<count {
            try await connectOnce(reply: &reply)
        }
    }

    /// Dial, send the message, read its echo, half-close, wait for the server to close, close.
    private func connectOnce(reply: inout ByteBuffer) async throws {
        let conn = try await dialer.dial(address, on: reactor)
        defer { conn.close() }
        try await conn.write(message)
        reply.clear()
        try await conn.readExactly(messageSize, into: &reply)
        if reply != message { throw EchoBenchmarkError.echoMismatch }
        // The server's echo loop ends on our end of stream and the listener then closes the
        // connection: its end of stream tells us the server is done with this connection.
        try await conn.closeWrite()
        reply.clear()
        let extra = try await conn.read(into: &reply)
        if extra != 0 { throw EchoBenchmarkError.unexpectedData(extra) }
    }
}

// MARK: benchmarks

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.mallocCountTotal, .wallClock, .throughput]

    // One sample = 1,000 messages (about 20-80 ms on loopback).
    let perMessage = Benchmark.Configuration(
        metrics: metrics,
        timeUnits: .nanoseconds,
        warmupIterations: 2,
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 300
    )
    // One sample = 1,000 connections. Bounded to 10 samples (plus 1,000 warm-up connections in
    // setup and one warm-up sample): 12,000 connections at most, each leaving a TIME_WAIT entry
    // on the client's side (it sends the first FIN) for a minute, well inside the ephemeral
    // port range.
    let perConnection = Benchmark.Configuration(
        metrics: metrics,
        timeUnits: .microseconds,
        warmupIterations: 1,
        scalingFactor: .kilo,
        maxDuration: .seconds(10),
        maxIterations: 10
    )

    let asyncServer = EchoFixture(.async)
    Benchmark(
        "async echo, per message",
        configuration: perMessage,
        closure: { benchmark, client in
            do {
                try await client.run(benchmark.scaledIterations.count)
            } catch {
                benchmark.error("async echo failed: \(error)")
            }
        },
        setup: { try await asyncServer.startPingPong(warmup: 10_000) },
        teardown: { await asyncServer.stop() }
    )

    let handlerServer = EchoFixture(.handler)
    Benchmark(
        "handler echo, per message",
        configuration: perMessage,
        closure: { benchmark, client in
            do {
                try await client.run(benchmark.scaledIterations.count)
            } catch {
                benchmark.error("handler echo failed: \(error)")
            }
        },
        setup: { try await handlerServer.startPingPong(warmup: 10_000) },
        teardown: { await handlerServer.stop() }
    )

    let connectServer = EchoFixture(.async)
    Benchmark(
        "new connection, per connection",
        configuration: perConnection,
        closure: { benchmark, client in
            do {
                try await client.run(benchmark.scaledIterations.count)
            } catch {
                benchmark.error("new connection failed: \(error)")
            }
        },
        setup: { try await connectServer.startConnecting(warmup: 1_000) },
        teardown: { await connectServer.stop() }
    )
}
