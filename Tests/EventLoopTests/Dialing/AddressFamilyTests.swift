import EventLoop
import EventLoopTesting
import Testing

/// Dial and accept over every address family the library speaks, with data both ways.
@Suite struct AddressFamilyTests {
    func roundTrip(_ address: SocketAddress) async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(address, group: group)
            async let accepted = listener.accept()
            let client = try await Dialer().dial(listener.address, group: group)
            let server = try await accepted
            listener.close()
            try await client.write(Array("ping".utf8))
            var buffer = ByteBuffer()
            try await server.readExactly(4, into: &buffer)
            #expect(buffer.readString(length: 4) == "ping")
            try await server.write(Array("pong".utf8))
            try await client.readExactly(4, into: &buffer)
            #expect(buffer.readString(length: 4) == "pong")
            #expect(client.remoteAddress?.family == address.family)
            client.close()
            server.close()
        }
    }

    @Test func ipv4() async throws {
        try await roundTrip(.loopbackIPv4())
    }

    @Test(.enabled(if: hasIPv6Loopback, "this host has no ::1"))
    func ipv6() async throws {
        try await roundTrip(.loopbackIPv6())
    }

    @Test func unixStream() async throws {
        try await roundTrip(try .unix(path: temporaryUnixPath("family")))
    }

    @Test func portZeroIsReadBack() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let listener = try await Listener.listen("127.0.0.1:0", group: group)
            #expect(listener.address.port != 0)
            listener.close()
            await listener.waitUntilClosed()
        }
    }

    @Test func dialByName() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            async let accepted = listener.accept()
            let client = try await Dialer().dial("localhost:\(listener.address.port!)", on: group.next())
            let server = try await accepted
            listener.close()
            client.close()
            server.close()
        }
    }
}
