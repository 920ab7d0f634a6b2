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
