import EventLoop
import EventLoopTesting
import Glibc
import Testing

/// Dual-stack sockets, packet info on a wildcard socket, and truncation.
@Suite struct UDPAddressTests {
    @Test(.enabled(if: hasIPv6Loopback, "this host has no ::1"))
    func dualStackSocketServesBothFamilies() async throws {
        try await withReactorGroup { group in
            let server = try await UDPConn.bind(try SocketAddress("[::]:0"), group: group, options: DatagramOptions(dualStack: true))
            let port = server.localAddress!.port!
            let v4 = try await UDPConn.connect(to: .loopbackIPv4(port: port), on: group.reactors[0])
            let v6 = try await UDPConn.connect(to: .loopbackIPv6(port: port), on: group.reactors[0])
            defer { server.close(); v4.close(); v6.close() }
            for client in [v4, v6] {
                try await client.write(ByteBuffer(string: "hello"))
                var buffer = ByteBuffer()
                let (_, sender) = try await server.read(into: &buffer)
                #expect(sender.family == AF_INET6)
                #expect(sender.port == client.localAddress?.port)
                try await server.write(buffer, to: sender)
                var reply = ByteBuffer()
                #expect(try await client.read(into: &reply).count == 5)
            }
        }
    }

    /// Without `dualStack` an IPv6 wildcard socket leaves IPv4 alone: the same port stays free
    /// for an IPv4 socket. With it, the IPv4 side of the port is taken.
    @Test(.enabled(if: hasIPv6Loopback, "this host has no ::1"))
    func ipv6OnlyByDefault() async throws {
        try await withReactorGroup { group in
            let v6Only = try await UDPConn.bind(try SocketAddress("[::]:0"), group: group)
            let port = v6Only.localAddress!.port!
            let v4 = try await UDPConn.bind(.loopbackIPv4(port: port), group: group)
            v4.close()
            v6Only.close()
            let dual = try await UDPConn.bind(try SocketAddress("[::]:0"), group: group, options: DatagramOptions(dualStack: true))
            defer { dual.close() }
            let error = try await #require(throws: NetError.self) {
                try await UDPConn.bind(.loopbackIPv4(port: dual.localAddress!.port!), group: group)
            }
            #expect(error.errno == EADDRINUSE, "\(error)")
            #expect(error.operation == "bind")
        }
    }

    /// A socket bound to 0.0.0.0 learns where each datagram was sent (IP_PKTINFO) and answers
    /// from that address: a client connected to 127.0.0.2 accepts only answers from there.
    @Test func wildcardSocketAnswersFromTheAddressTheDatagramCameTo() async throws {
        try await withReactorGroup { group in
            let server = try await UDPConn.bind(try SocketAddress("0.0.0.0:0"), group: group, options: DatagramOptions(packetInfo: true))
            let port = server.localAddress!.port!
            let target = SocketAddress.ipv4(127, 0, 0, 2, port: port)
            let client = try await UDPConn.connect(to: target, on: group.reactors[0])
            defer { server.close(); client.close() }
            try await client.write(ByteBuffer(string: "where am I?"))
            var batch: [Datagram] = []
            _ = try await server.read(into: &batch, maxCount: 8)
            #expect(batch[0].localAddress == target)
            #expect(batch[0].remoteAddress == client.localAddress)
            try await server.write(contentsOf: batch)  // back to the sender, from 127.0.0.2
            var single = ByteBuffer()
            client.setReadDeadline(.now + .seconds(5))
            let (count, from) = try await client.read(into: &single)
            #expect(count == 11)
            #expect(from == target)
        }
    }

    @Test func truncationIsReportedNeverSilent() async throws {
        try await withReactorGroup { group in
            let server = try await UDPConn.bind(.loopbackIPv4(), group: group)
            let client = try await UDPConn.connect(to: server.localAddress!, on: group.reactors[0])
            defer { server.close(); client.close() }
            try await client.write(ByteBuffer(bytes: [UInt8](repeating: 7, count: 100)))
            try await client.write(ByteBuffer(bytes: [1, 2, 3]))
            var small = ByteBuffer(capacity: 16)
            let error = try await #require(throws: NetError.self) { try await server.read(into: &small) }
            #expect(error.code == .truncated(wireLength: 100), "\(error)")
            #expect(small.readableBytes == 0)
            #expect(server.stats.truncated == 1)
            // The next datagram is read whole.
            #expect(try await server.read(into: &small).count == 3)
        }
    }
}
