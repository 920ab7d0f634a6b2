import TestSupport
import EventLoop
import EventLoopTesting
import Glibc
import Testing

/// Errors print as Go's `net.OpError` does, `operation network local->remote: cause`, over real
/// loopback sockets: each names the network and the ends its socket knows, the errno as the C
/// library's lower-case text (its symbolic name in `debugDescription` and `errnoName`).
@Suite struct OpErrorTests {
    @Test func resetReadNamesBothEnds() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let local = try #require(pair.server.localAddress)
            let remote = try #require(pair.server.remoteAddress)
            pair.client.abort()
            var buffer = ByteBuffer()
            let error = try await #require(throws: NetError.self) { _ = try await pair.server.read(into: &buffer) }
            #expect(error.description == "read tcp \(local)->\(remote): connection reset by peer")
            #expect(error.debugDescription == "read tcp \(local)->\(remote): connection reset by peer (ECONNRESET)")
            #expect(error.network == .tcp)
            #expect(error.localAddress == local)
            #expect(error.remoteAddress == remote)
            #expect(error.errno == ECONNRESET)
            #expect(error.errnoName == "ECONNRESET")
            #expect(!error.isTimeout)
        }
    }

    @Test func refusedDialNamesTheAddressOnly() async throws {
        try await withReactorGroup { group in
            try await withRefusingPort { port in
                let address = SocketAddress.loopbackIPv4(port: port)
                let error = try await #require(throws: NetError.self) { _ = try await Dialer().dial(address, group: group) }
                #expect(error.description == "connect tcp 127.0.0.1:\(port): connection refused")
                #expect(error.localAddress == nil)
                #expect(error.remoteAddress == address)
                #expect(error.address == address.description)
                #expect(error.errno == ECONNREFUSED)
                #expect(error.errnoName == "ECONNREFUSED")
            }
        }
    }

    /// A dialer that binds its own end first names it, as Go's dial names its `LocalAddr`.
    @Test func refusedDialFromABoundAddressNamesBoth() async throws {
        try await withReactorGroup { group in
            try await withRefusingPort { port in
                var dialer = Dialer()
                dialer.localAddress = .loopbackIPv4()
                let error = try await #require(throws: NetError.self) { _ = try await dialer.dial(.loopbackIPv4(port: port), group: group) }
                #expect(error.description == "connect tcp 127.0.0.1:0->127.0.0.1:\(port): connection refused")
            }
        }
    }

    @Test func timeoutIsTypedAndPrintsIOTimeout() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let local = try #require(pair.client.localAddress)
            let remote = try #require(pair.client.remoteAddress)
            pair.client.setReadDeadline(.after(.milliseconds(20)))
            var buffer = ByteBuffer()
            let error = try await #require(throws: NetError.self) { _ = try await pair.client.read(into: &buffer) }
            #expect(error.isTimeout)
            #expect(error.errno == nil)
            #expect(error.errnoName == nil)
            #expect(error.description == "read tcp \(local)->\(remote): i/o timeout")
        }
    }

    @Test func useOfAClosedConnection() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let local = try #require(pair.client.localAddress)
            let remote = try #require(pair.client.remoteAddress)
            pair.client.close()
            var buffer = ByteBuffer()
            let read = try await #require(throws: NetError.self) { _ = try await pair.client.read(into: &buffer) }
            #expect(read.code == .closed)
            #expect(read.description == "read tcp \(local)->\(remote): use of closed network connection")
            let write = try await #require(throws: NetError.self) { try await pair.client.write([1]) }
            #expect(write.description == "write tcp \(local)->\(remote): use of closed network connection")
        }
    }

    /// A listener's errors name its own address alone, as the address acted on.
    @Test func acceptOnAClosedListenerNamesItsAddress() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            listener.close()
            let error = try await #require(throws: NetError.self) { _ = try await listener.accept() }
            #expect(error.description == "accept tcp \(listener.address): use of closed network connection")
            #expect(error.localAddress == listener.address)
            #expect(error.remoteAddress == nil)
        }
    }

    @Test func connectedUDPReadNamesBothEndsAndTheErrno() async throws {
        try await withReactorGroup { group in
            let probe = try await UDPConn.bind(.loopbackIPv4(), on: group.reactors[0])
            let port = try #require(probe.localAddress?.port)
            probe.close()
            let client = try await UDPConn.connect(to: .loopbackIPv4(port: port), on: group.reactors[0])
            defer { client.close() }
            let local = try #require(client.localAddress)
            try await client.write(ByteBuffer(string: "anyone there?"))
            var buffer = ByteBuffer()
            let error = try await #require(throws: NetError.self) { try await client.read(into: &buffer) }
            #expect(error.description == "read udp \(local)->127.0.0.1:\(port): connection refused")
            #expect(error.network == .udp)
            #expect(error.errno == ECONNREFUSED)
        }
    }

    /// An unconnected socket knows its own end; a datagram's error names its sender too.
    @Test func unconnectedUDPNamesItsAddressAndEachDatagramsSender() async throws {
        try await withReactorGroup { group in
            let server = try await UDPConn.bind(.loopbackIPv4(), group: group)
            let client = try await UDPConn.bind(.loopbackIPv4(), group: group)
            defer { server.close(); client.close() }
            let serverAddress = try #require(server.localAddress)
            let clientAddress = try #require(client.localAddress)
            server.setReadDeadline(.after(.milliseconds(20)))
            var small = ByteBuffer(capacity: 16)
            let timeout = try await #require(throws: NetError.self) { try await server.read(into: &small) }
            #expect(timeout.description == "read udp \(serverAddress): i/o timeout")
            server.setReadDeadline(nil)
            try await client.write(ByteBuffer(bytes: [UInt8](repeating: 7, count: 100)), to: serverAddress)
            let truncated = try await #require(throws: NetError.self) { try await server.read(into: &small) }
            #expect(truncated.description == "read udp \(serverAddress)->\(clientAddress): "
                + "datagram of 100 bytes truncated (larger than the buffer's space)")
        }
    }

    @Test func unixSocketsPrintTheirPaths() async throws {
        try await withReactorGroup { group in
            let path = temporaryUnixPath("operror")
            let pair = try await LoopbackPair.make(group: group, address: try .unix(path: path))
            defer { pair.close() }
            pair.server.close()
            var buffer = ByteBuffer()
            let error = try await #require(throws: NetError.self) { _ = try await pair.server.read(into: &buffer) }
            // The client end of a Unix stream socket has no name: only the path prints.
            #expect(error.description == "read unix \(path): use of closed network connection")
            #expect(error.network == .unix)
        }
    }

    /// The rules of the printed form, without sockets.
    @Test func printedFormFollowsGo() throws {
        let local = SocketAddress.loopbackIPv4(port: 9000)
        let remote = try SocketAddress("[::1]:52814")
        #expect(NetError(.timeout, operation: "read", network: .tcp, local: local, remote: remote).description
            == "read tcp 127.0.0.1:9000->[::1]:52814: i/o timeout")
        #expect(NetError(.closed, operation: "accept", network: .tcp, local: local).description
            == "accept tcp 127.0.0.1:9000: use of closed network connection")
        #expect(NetError(.system(errno: EPIPE), operation: "write", network: .tcp, remote: remote).description
            == "write tcp [::1]:52814: broken pipe")
        #expect(NetError(.timeout, operation: "connect", network: .tcp, address: "example.com:80").description
            == "connect tcp example.com:80: i/o timeout")
        #expect(NetError(.shuttingDown, operation: "submit").description == "submit: reactor shutting down")
        let refused = NetError(.system(errno: ECONNREFUSED), operation: "connect", network: .tcp, remote: remote)
        let failed = NetError(.dialFailed, operation: "dial", address: "both", underlying: [refused, refused])
        #expect(failed.description == "dial both: all attempts failed "
            + "[connect tcp [::1]:52814: connection refused; connect tcp [::1]:52814: connection refused]")
        #expect(failed.debugDescription.contains("connection refused (ECONNREFUSED)"))
        // The older initialiser still builds the same text.
        #expect(NetError(.closed, operation: "read", address: "peer").description == "read peer: use of closed network connection")
    }
}
