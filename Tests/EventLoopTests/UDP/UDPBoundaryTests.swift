import TestSupport
import EventLoop
import EventLoopTesting
import Testing

/// Datagram boundaries over UDP: every size from empty to the largest IPv4 payload arrives as
/// one datagram, whole, with its sender.
@Suite struct UDPBoundaryTests {
    @Test func sizesFromZeroToTheLargestArriveWhole() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let server = try await UDPConn.bind(.loopbackIPv4(), on: group.reactors[1])
            let client = try await UDPConn.bind(.loopbackIPv4(), on: group.reactors[0])
            defer { server.close(); client.close() }
            #expect(server.localAddress?.port != 0)
            for size in [0, 1, 1472, 65_507] {
                let message = Pattern.bytes(at: 0, count: size, seed: size)
                try await client.write(message, to: server.localAddress!)
                var buffer = ByteBuffer()
                let (count, sender) = try await server.read(into: &buffer)
                #expect(count == size, "size \(size)")
                #expect(sender == client.localAddress)
                #expect(buffer == message, "size \(size)")
            }
        }
    }

    /// Two datagrams sent back to back are read as two, never merged or split.
    @Test func consecutiveDatagramsStaySeparate() async throws {
        try await withReactorGroup { group in
            let server = try await UDPConn.bind(.loopbackIPv4(), group: group)
            let client = try await UDPConn.connect(to: server.localAddress!, on: group.reactors[0])
            defer { server.close(); client.close() }
            try await client.write(ByteBuffer(string: "first"))
            try await client.write(ByteBuffer(string: "second!"))
            var buffer = ByteBuffer()
            #expect(try await server.read(into: &buffer).count == 5)
            #expect(try await server.read(into: &buffer).count == 7)
            #expect(buffer.readString(length: 12) == "firstsecond!")
        }
    }

    /// One datagram too large for IPv4 is refused by the kernel with EMSGSIZE, named.
    @Test func oversizeDatagramIsRefused() async throws {
        try await withReactorGroup { group in
            let client = try await UDPConn.bind(.loopbackIPv4(), group: group)
            defer { client.close() }
            let error = try await #require(throws: NetError.self) {
                try await client.write(ByteBuffer(bytes: [UInt8](repeating: 1, count: 65_508)), to: .loopbackIPv4(port: 9))
            }
            #expect(error.description.contains("message too long"), "\(error)")
            #expect(error.operation == "write")
        }
    }
}
