import TestSupport
import EventLoop
import EventLoopTesting
import Foundation
import Synchronization
import Testing

/// A graceful shutdown under load: 2,000 idle and 50 streaming connections when SIGTERM comes.
/// The server exits 0 within the drain timeout + 2 s and closes every connection; a second
/// SIGTERM exits at once. The client's sockets (2,050, under the 20,000 fd limit) all close.
@Suite(.serialized) struct ShutdownUnderLoadTests {
    static let idle = 2_000
    static let streaming = 50
    static let drainTimeout = 2.0

    /// Opens the idle connections (each echoes one message first, so the server holds them)
    /// and starts the streaming ones, which write and read until the server closes them.
    static func load(port: UInt16, group: ReactorGroup) async throws -> (idle: [TCPConn], streams: [Task<Void, Never>]) {
        _ = FileDescriptorLimit.raiseToHardLimit()
        let address = SocketAddress.loopbackIPv4(port: port)
        let idle = try await withThrowingTaskGroup(of: [TCPConn].self) { dialers in
            for batch in 0..<20 {
                dialers.addTask {
                    var conns: [TCPConn] = []
                    do {
                        for index in 0..<(Self.idle / 20) {
                            let conn = try await Dialer().dial(address, group: group)
                            conns.append(conn)
                            _ = try await conn.exchange("idle \(batch).\(index)")
                        }
                    } catch {
                        conns.forEach { $0.close() }
                        throw error
                    }
                    return conns
                }
            }
            var all: [TCPConn] = []
            for try await conns in dialers { all += conns }
            return all
        }
        var streams: [Task<Void, Never>] = []
        let started = Counter()
        for _ in 0..<Self.streaming {
            let conn = try await Dialer().dial(address, group: group)
            streams.append(Task(executorPreference: conn.reactor) {
                defer { conn.close() }
                let chunk = patternBuffer(size: 16 * 1024)
                var reply = ByteBuffer(capacity: 16 * 1024)
                var first = true
                while true {
                    do {
                        try await conn.write(chunk)
                        try await conn.readExactly(chunk.readableBytes, into: &reply)
                        reply.clear()
                        if first { started.add(); first = false }
                    } catch {
                        return  // the server closed the connection
                    }
                }
            })
        }
        try await waitUntil(within: 30) { started.value == Self.streaming }
        return (idle, streams)
    }

    @Test func exitsWithinTheDrainTimeAndClosesEveryConnection() async throws {
        let (server, port) = try await ExampleProcess.echoServer(["--drain-timeout", "\(Self.drainTimeout)"])
        try await withReactorGroup(reactors: 2, timeout: 120) { group in
            let (idle, streams) = try await Self.load(port: port, group: group)
            defer { idle.forEach { $0.close() } }
            let start = ContinuousClock.now
            server.send(SIGTERM)
            let status = try await server.waitForExit(within: 30)
            let elapsed = secondsSince(start)
            #expect(status == 0, "\(server.printed.suffix(2000))")
            #expect(elapsed < Self.drainTimeout + 2, "exited \(elapsed) s after SIGTERM")
            // Every connection was closed by the server: each idle one reads its end at once.
            try await withTimeout(30) {
                for conn in idle {
                    let end = try await conn.readUntilClosed()
                    #expect(end.text.isEmpty)
                }
                for stream in streams { await stream.value }
            }
        }
        let totals = try server.totals()
        #expect(totals["accepted"] == Self.idle + Self.streaming)
        #expect(totals["force_closed"] == Self.idle + Self.streaming)
    }

    @Test func aSecondSignalExitsAtOnceUnderLoad() async throws {
        let (server, port) = try await ExampleProcess.echoServer(["--drain-timeout", "60"])
        try await withReactorGroup(reactors: 2, timeout: 120) { group in
            let (idle, streams) = try await Self.load(port: port, group: group)
            defer { idle.forEach { $0.close() } }
            server.send(SIGTERM)
            try await server.waitForOutput(containing: "stopped accepting")
            let start = ContinuousClock.now
            let status = try await server.stop(signal: SIGTERM, within: 30)
            #expect(status != 0, "a second signal exits at once, without the drain's status 0")
            #expect(secondsSince(start) < 2, "exited \(secondsSince(start)) s after the second SIGTERM")
            try await withTimeout(30) {
                for conn in idle { _ = try await conn.readUntilClosed() }
                for stream in streams { await stream.value }
            }
        }
    }

    final class Counter: Sendable {
        private let count = Mutex<Int>(0)
        var value: Int { count.withLock { $0 } }
        func add() { count.withLock { $0 += 1 } }
    }
}
