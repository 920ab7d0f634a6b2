import TestSupport
import EventLoop
import EventLoopTesting
import Glibc
import Testing

/// Unix datagram sockets through the same `PacketConn`: a socketpair, bound paths, and a
/// datagram larger than a receive slot.
@Suite struct UDPUnixDatagramTests {
    @Test func pairCarriesDatagramsBothWays() async throws {
        try await withReactorGroup { group in
            let (left, right) = try await UDPConn.pair(on: group.reactors[0])
            defer { left.close(); right.close() }
            #expect(group.openSocketCount == 2)
            for size in [0, 1, 1472, 65_507] {
                let message = Pattern.bytes(at: 0, count: size, seed: size)
                try await left.write(message)
                var buffer = ByteBuffer()
                #expect(try await right.read(into: &buffer).count == size)
                #expect(buffer == message)
            }
            try await right.write(ByteBuffer(string: "back"))
            var buffer = ByteBuffer()
            #expect(try await left.read(into: &buffer).count == 4)
        }
    }

    @Test func boundPathsSeeEachOther() async throws {
        try await withReactorGroup { group in
            let serverPath = temporaryUnixPath("dgram-server")
            let clientPath = temporaryUnixPath("dgram-client")
            let server: any PacketConn = try await UDPConn.bind(try .unix(path: serverPath), group: group)
            let client = try await UDPConn.bind(try .unix(path: clientPath), group: group)
            try await client.write(ByteBuffer(string: "hello"), to: try .unix(path: serverPath))
            var buffer = ByteBuffer()
            let (count, sender) = try await server.read(into: &buffer)
            #expect(count == 5)
            #expect(sender.path == clientPath)
            try await server.write(buffer, to: sender)
            var reply = ByteBuffer()
            #expect(try await client.read(into: &reply).count == 5)
            server.close()
            client.close()
            try await waitUntil { access(serverPath, F_OK) != 0 && access(clientPath, F_OK) != 0 }
        }
    }

    /// 100,000 bytes in one Unix datagram do not fit a 64 KiB receive slot: the batch read
    /// marks it truncated with its real size.
    @Test func oversizeUnixDatagramIsMarkedTruncated() async throws {
        try await withReactorGroup { group in
            let (left, right) = try await UDPConn.pair(on: group.reactors[0])
            defer { left.close(); right.close() }
            try await left.setOption(.sendBufferSize, 1 << 20)
            try await left.write(ByteBuffer(bytes: [UInt8](repeating: 3, count: 100_000)))
            var batch: [Datagram] = []
            _ = try await right.read(into: &batch)
            #expect(batch[0].isTruncated)
            #expect(batch[0].wireLength == 100_000)
            #expect(batch[0].data.readableBytes == 65_536)
            #expect(right.stats.truncated == 1)
        }
    }
}

/// Back-pressure: a Unix datagram sender blocks once the peer's queue is full (the kernel
/// answers EAGAIN), waits for write readiness and goes on when the reader catches up.
@Suite struct UDPBackPressureTests {
    @Test func writerWaitsForTheReaderAndResumes() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let (left, right) = try await UDPConn.pair(on: group.reactors[1])
            defer { left.close(); right.close() }
            let count = 2_000
            let writer = Task(executorPreference: left.reactor) {
                for index in 0..<count {
                    try await left.write(Pattern.bytes(at: index, count: 1_000))
                }
                var batch = (0..<count).map { Datagram(data: Pattern.bytes(at: $0, count: 10)) }
                try await left.write(contentsOf: batch)
                left.recycle(&batch)
            }
            var received = 0
            var batch: [Datagram] = []
            while received < 2 * count {
                received += try await right.read(into: &batch, maxCount: 64)
                right.recycle(&batch)
            }
            try await writer.value
            #expect(received == 2 * count)
            #expect(left.stats.datagramsWritten == UInt64(2 * count))
        }
    }

    /// The handler level's send queue: what the kernel does not take at once is sent when the
    /// socket turns writable, then `writable` is called.
    final class Flooder: DatagramHandler, @unchecked Sendable {
        // @unchecked Sendable: touched only on the socket's reactor thread (handler callbacks);
        // the test reads `flushed` after the reactor has signalled it through `done`.
        let total: Int
        var done: CheckedContinuation<Void, Never>?
        init(total: Int) { self.total = total }

        func start(_ socket: DatagramSocket) {
            for index in 0..<total {
                var byte = UInt8(truncatingIfNeeded: index)
                try? withUnsafeBytes(of: &byte) { try socket.send($0) }
            }
            try? socket.flush()
            if socket.pendingWriteCount == 0 { done.take()?.resume() }
        }

        func readable(_ socket: DatagramSocket) {}
        func writable(_ socket: DatagramSocket) { done.take()?.resume() }
    }

    @Test func handlerSendQueueDrainsWhenWritable() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let (left, right) = try await UDPConn.pair(on: group.reactors[1])
            defer { left.close(); right.close() }
            let flooder = Flooder(total: 1_000)
            let socket = left.socket
            async let flushed: Void = withCheckedContinuation { continuation in
                socket.reactor.execute {
                    flooder.done = continuation
                    socket.setHandler(flooder)
                    flooder.start(socket)
                }
            }
            var received = 0
            var batch: [Datagram] = []
            while received < 1_000 {
                received += try await right.read(into: &batch, maxCount: 64)
                right.recycle(&batch)
            }
            await flushed
            #expect(socket.stats.datagramsWritten == 1_000)
            #expect(socket.stats.sendCalls < 1_000, "queued datagrams go out in sendmmsg batches")
        }
    }
}
