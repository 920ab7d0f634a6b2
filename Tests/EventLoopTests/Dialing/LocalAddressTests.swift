import EventLoop
import EventLoopTesting
import Testing

/// Both ends know both addresses, whether the listener is bound to one address or to all.
@Suite struct LocalAddressTests {
    @Test(arguments: ["127.0.0.1:0", "0.0.0.0:0"])
    func acceptedAndDialledEndsAgree(listen: String) async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(listen, group: group)
            defer { listener.close() }
            let port = try #require(listener.address.port)
            async let accepted = listener.accept()
            let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            let server = try await accepted
            defer { client.close(); server.close() }
            #expect(server.localAddress == .loopbackIPv4(port: port))
            #expect(client.remoteAddress == .loopbackIPv4(port: port))
            #expect(server.remoteAddress == client.localAddress)
            #expect(client.localAddress?.port != 0)
        }
    }
}
