import EventLoop
import EventLoopTesting
import Glibc
import Testing

/// Connected mode: one peer, plain read and write, and an ICMP port unreachable surfacing as a
/// typed ECONNREFUSED on the next call.
@Suite struct UDPConnectedTests {
    /// A UDP port nothing is bound to (bound once, read back, closed).
    func unusedPort(_ group: ReactorGroup) async throws -> UInt16 {
        let probe = try await UDPConn.bind(.loopbackIPv4(), on: group.reactors[0])
        let port = probe.localAddress!.port!
        probe.close()
        return port
    }

    @Test func portUnreachableIsConnectionRefusedOnTheNextCall() async throws {
        try await withReactorGroup { group in
            let port = try await unusedPort(group)
            let client = try await UDPConn.connect(to: .loopbackIPv4(port: port), on: group.reactors[0])
            defer { client.close() }
            #expect(client.remoteAddress == .loopbackIPv4(port: port))
            try await client.write(ByteBuffer(string: "anyone there?"))
            var buffer = ByteBuffer()
            let error = try await #require(throws: NetError.self) { try await client.read(into: &buffer) }
            #expect(error.isConnectionRefused, "\(error)")
            #expect(error.operation == "read")
            #expect(error.description.contains("127.0.0.1:\(port)"), "\(error)")
            #expect(error.description.contains("connection refused"), "\(error)")
            // The socket stays usable: a later datagram goes out.
            try await client.write(ByteBuffer(string: "again"))
        }
    }

    @Test func connectedSocketTalksToItsPeerOnly() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let server = try await UDPConn.bind(.loopbackIPv4(), on: group.reactors[1])
            let stranger = try await UDPConn.bind(.loopbackIPv4(), on: group.reactors[1])
            let client = try await UDPConn.connect(to: server.localAddress!, on: group.reactors[0])
            defer { server.close(); stranger.close(); client.close() }
            try await client.write(ByteBuffer(string: "ping"))
            var buffer = ByteBuffer()
            let (_, sender) = try await server.read(into: &buffer)
            #expect(sender == client.localAddress)
            // A datagram from another socket is filtered out by the kernel; the peer's arrives.
            try await stranger.write(ByteBuffer(string: "noise"), to: client.localAddress!)
            try await server.write(ByteBuffer(string: "pong"), to: sender)
            var reply = ByteBuffer()
            let (count, from) = try await client.read(into: &reply)
            #expect(count == 4)
            #expect(from == server.localAddress)
            #expect(reply.readString(length: 4) == "pong")
        }
    }
}
