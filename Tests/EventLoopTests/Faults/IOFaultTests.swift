@testable import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// Reads, writes and the reactor loop under injected syscall results (``FaultInjection``):
/// short transfers, EINTR, EAGAIN, resets and broken pipes at chosen calls.
///
/// A faked short write or EAGAIN leaves the socket waiting for writability, and a socket that is
/// in fact writable brings no new edge by itself (a real one would, once the peer reads): these
/// tests have the peer send a byte, whose readiness event reports EPOLLOUT too.
@Suite struct IOFaultTests {
    typealias Fault = FaultInjection.Fault

    /// Reads from `conn` until `count` bytes have arrived (or the stream ends).
    static func readExactly(_ conn: TCPConn, _ count: Int) async throws -> ByteBuffer {
        var received = ByteBuffer(capacity: count)
        while received.readableBytes < count {
            if try await conn.read(into: &received) == 0 { break }
        }
        return received
    }

    /// Makes an event on `conn`'s peer socket (see the suite's note).
    static func poke(_ conn: TCPConn) async throws {
        try await conn.write(ByteBuffer(bytes: [0x2A]))
    }

    @Test func writeCutShortThenInterruptedDeliversEverythingInOrder() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let fd = pair.client.socket.fd
            let size = 256 * 1024
            try await FaultInjection.withFaults { faults in
                let writes = FaultInjection.Call.streamWrite
                let short = faults.install(Fault(writes, fd: fd, count: 1, .limit(1000)))
                let interrupted = faults.install(Fault(writes, fd: fd, skip: 1, count: 1, .fail(EINTR)))
                let shortAgain = faults.install(Fault(writes, fd: fd, skip: 2, count: 1, .limit(777)))
                let wouldBlock = faults.install(Fault(writes, fd: fd, skip: 3, count: 1, .fail(EAGAIN)))
                async let received = Self.readExactly(pair.server, size)
                async let written: Void = pair.client.write(Pattern.bytes(at: 0, count: size))
                try await waitUntil { faults.hits(short) == 1 }
                try await Self.poke(pair.server)
                try await waitUntil { faults.hits(shortAgain) == 1 }
                try await Self.poke(pair.server)
                try await waitUntil { faults.hits(wouldBlock) == 1 }
                try await Self.poke(pair.server)
                try await written
                let data = try await received
                #expect(data.readableBytes == size)
                #expect(Pattern.matches(data, at: 0), "bytes lost, repeated or reordered")
                #expect(faults.hits(interrupted) == 1)
                #expect(pair.client.stats.bytesWritten == UInt64(size))
            }
            #expect(try await Self.readExactly(pair.client, 3).readableBytes == 3)
        }
    }

    @Test func gatheringWriteCutInsideABufferResumesThere() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let fd = pair.client.socket.fd
            let parts = (0..<3).map { Pattern.bytes(at: $0 * 10_000, count: 10_000) }
            try await FaultInjection.withFaults { faults in
                let short = faults.install(Fault(.sendmsg, fd: fd, count: 1, .limit(15_000)))
                async let received = Self.readExactly(pair.server, 30_000)
                async let written: Void = pair.client.write(contentsOf: parts)
                try await waitUntil { faults.hits(short) == 1 }
                try await Self.poke(pair.server)
                try await written
                let data = try await received
                #expect(data.readableBytes == 30_000 && Pattern.matches(data, at: 0))
            }
        }
    }

    @Test func shortReadThenMoreDataKeepsTheStreamInOrder() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            try await FaultInjection.withFaults { faults in
                let short = faults.install(Fault(.recv, fd: pair.server.socket.fd, count: 1, .limit(10)))
                try await pair.client.write(Pattern.bytes(at: 0, count: 100))
                var first = ByteBuffer()
                #expect(try await pair.server.read(into: &first) == 10)
                #expect(faults.hits(short) == 1)
                // The short read looked like a drained socket: the next data brings the edge.
                try await pair.client.write(Pattern.bytes(at: 100, count: 100))
                let rest = try await Self.readExactly(pair.server, 190)
                #expect(rest.readableBytes == 190 && Pattern.matches(rest, at: 10))
            }
        }
    }

    @Test func resetBetweenReadinessAndReadIsTypedAndClosesCleanly() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let peer = try #require(pair.server.remoteAddress)
            try await FaultInjection.withFaults { faults in
                let reset = faults.install(Fault(.recv, fd: pair.server.socket.fd, count: 1, .fail(ECONNRESET)))
                try await pair.client.write(Pattern.bytes(at: 0, count: 100))
                var buffer = ByteBuffer()
                let error = await #expect(throws: NetError.self) { _ = try await pair.server.read(into: &buffer) }
                #expect(error?.errno == ECONNRESET)
                #expect(error?.operation == "read")
                #expect(error?.description.contains(peer.description) == true)
                #expect(faults.hits(reset) == 1)
            }
            let open = reactor.openSocketCount
            pair.server.close()
            #expect(reactor.openSocketCount == open - 1)
            var buffer = ByteBuffer()
            let after = await #expect(throws: NetError.self) { _ = try await pair.server.read(into: &buffer) }
            #expect(after?.code == .closed)
        }
    }

    @Test(arguments: [EPIPE, ECONNRESET])
    func failedWriteIsTyped(code: Int32) async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let peer = try #require(pair.client.remoteAddress)
            await FaultInjection.withFaults { faults in
                // One call only: a write error may close the descriptor, whose number another
                // test's socket may then get while this scope lasts.
                let broken = faults.install(Fault(FaultInjection.Call.streamWrite, fd: pair.client.socket.fd, count: 1, .fail(code)))
                let error = await #expect(throws: NetError.self) { try await pair.client.write(Pattern.bytes(at: 0, count: 100)) }
                #expect(error?.errno == code)
                #expect(error?.operation == "write")
                #expect(error?.description.contains(peer.description) == true)
                #expect(faults.hits(broken) == 1)
            }
        }
    }

    @Test func epollWaitInterruptedInALoopKeepsServing() async throws {
        // The echo server has a reactor of its own, whose epoll_wait fails with EINTR every
        // other call while a client talks to it, sleeps on it and dials it again.
        try await withReactorGroup(reactors: 2) { group in
            let reactor = group.reactors[1]
            let listener = try await startEchoServer(on: reactor)
            defer { listener.close() }
            try await FaultInjection.withFaults { faults in
                let storm = faults.install(Fault([.epollWait], fd: reactor.epollFD, .fail(EINTR)) { $0 % 2 == 1 })
                for round in 0..<3 {
                    let client = try await Dialer().dial(listener.address.description, on: group.reactors[0])
                    defer { client.close() }
                    try await client.write(Pattern.bytes(at: round, count: 50_000))
                    let echoed = try await Self.readExactly(client, 50_000)
                    #expect(echoed.readableBytes == 50_000 && Pattern.matches(echoed, at: round))
                    try await reactor.sleep(for: .milliseconds(5))
                }
                let hits = faults.hits(storm)
                #expect(hits >= 3, "only \(hits) interrupted epoll_wait calls")
            }
            let client = try await Dialer().dial(listener.address.description, on: group.reactors[0])
            defer { client.close() }
            try await client.write(Pattern.bytes(at: 0, count: 1000))
            #expect(Pattern.matches(try await Self.readExactly(client, 1000), at: 0))
        }
    }
}
