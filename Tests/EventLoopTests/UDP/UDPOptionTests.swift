import EventLoop
import EventLoopTesting
import Glibc
import Testing

/// Socket options of datagram sockets: broadcast, buffer sizes, multicast on the loopback
/// interface.
@Suite struct UDPOptionTests {
    @Test func broadcastAndBufferSizes() async throws {
        try await withReactorGroup { group in
            let conn = try await UDPConn.bind(.loopbackIPv4(), group: group,
                                              options: DatagramOptions(broadcast: true, receiveBufferSize: 256 * 1024, sendBufferSize: 128 * 1024))
            defer { conn.close() }
            #expect(try await conn.option(.broadcast) == 1)
            #expect(try await conn.option(.receiveBufferSize) >= 256 * 1024)
            #expect(try await conn.option(.sendBufferSize) >= 128 * 1024)
            try await conn.setOption(.broadcast, 0)
            #expect(try await conn.option(.broadcast) == 0)
        }
    }

    /// Join, send to the group through `lo`, receive the looped-back copy, leave. Containers
    /// and kernels that give `lo` no multicast route refuse a step: the test then says which
    /// and is cancelled (skipped) rather than passed.
    @Test func multicastOnLoopback() async throws {
        let outcome: String? = try await withReactorGroup { group in
            let groupAddress = SocketAddress.ipv4(239, 255, 77, 1, port: 0)
            let receiver = try await UDPConn.bind(try SocketAddress("0.0.0.0:0"), group: group, options: DatagramOptions(reuseAddress: true))
            let sender = try await UDPConn.bind(.loopbackIPv4(), group: group)
            defer { receiver.close(); sender.close() }
            do {
                try await receiver.joinMulticastGroup(groupAddress, interface: "lo")
                try await sender.setMulticastInterface("lo")
            } catch let error as NetError {
                return "multicast on lo not available here: \(error)"
            }
            try await sender.setMulticastTTL(1)
            try await sender.setMulticastLoop(true)
            let target = groupAddress.withPort(receiver.localAddress!.port!)
            do {
                try await sender.write(ByteBuffer(string: "to the group"), to: target)
            } catch let error as NetError where error.errno == ENETUNREACH || error.errno == ENODEV {
                return "no multicast route on lo here: \(error)"
            }
            receiver.setReadDeadline(.now + .seconds(2))
            var buffer = ByteBuffer()
            do {
                let (count, from) = try await receiver.read(into: &buffer)
                #expect(count == 12)
                #expect(from == sender.localAddress)
            } catch let error as NetError where error.isTimeout {
                return "the kernel did not loop multicast back on lo: \(error)"
            }
            try await receiver.leaveMulticastGroup(groupAddress, interface: "lo")
            return nil
        }
        if let outcome { try Test.cancel(Comment(rawValue: outcome)) }
    }

    @Test func unknownInterfaceIsNamed() async throws {
        try await withReactorGroup { group in
            let conn = try await UDPConn.bind(.loopbackIPv4(), group: group)
            defer { conn.close() }
            let error = try await #require(throws: NetError.self) {
                try await conn.joinMulticastGroup(.ipv4(239, 255, 77, 2, port: 0), interface: "no-such-if0")
            }
            #expect(error.description.contains("no-such-if0"), "\(error)")
            #expect(error.description.contains("no such device"), "\(error)")
        }
    }
}
