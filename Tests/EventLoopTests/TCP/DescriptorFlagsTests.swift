@testable import EventLoop
import EventLoopTesting
import Glibc
import Testing

/// Every descriptor the library makes is close-on-exec, and every socket non-blocking.
@Suite struct DescriptorFlagsTests {
    static func isCloseOnExec(_ fd: Int32) -> Bool { fcntl(fd, F_GETFD) & FD_CLOEXEC != 0 }
    static func isNonBlocking(_ fd: Int32) -> Bool { fcntl(fd, F_GETFL) & O_NONBLOCK != 0 }

    @Test(arguments: [false, true])
    func socketsAreCloseOnExecAndNonBlocking(unix: Bool) async throws {
        try await withReactorGroup(reactors: 2) { group in
            let address = unix ? try SocketAddress.unix(path: temporaryUnixPath("flags")) : SocketAddress.loopbackIPv4()
            let listener = try await Listener.listen(address, group: group)
            async let accepted = listener.accept()
            let client = try await Dialer().dial(listener.address, group: group)
            let server = try await accepted
            for reactor in group.reactors {
                let descriptors = try await reactor.submit { [reactor.epollFD, reactor.wakeFD] }
                #expect(descriptors.allSatisfy(Self.isCloseOnExec))
                #expect(Self.isNonBlocking(descriptors[1]))
            }
            let listening = listener.state.withLock { $0.acceptors.map(\.fd) }
            #expect(!listening.isEmpty)
            for conn in [client, server] {
                let fd = try await conn.reactor.submit { conn.socket.fd }
                #expect(Self.isCloseOnExec(fd) && Self.isNonBlocking(fd))
            }
            for fd in listening {
                #expect(Self.isCloseOnExec(fd) && Self.isNonBlocking(fd))
            }
            if !unix {
                #expect(try await client.option(.noDelay) != 0)
                #expect(try await server.option(.noDelay) != 0)
            }
            listener.close()
            client.close()
            server.close()
        }
    }
}
