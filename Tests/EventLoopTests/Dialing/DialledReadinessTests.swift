import EventLoop
import EventLoopTesting
import Testing

/// A dialled connection starts without assuming data (its first read waits for the kernel's
/// readiness event): that must not lose what a server that speaks first sends at once. (That
/// a failed connect still names its errno, now read only when the kernel reports an error, is
/// `PeerResetTests.refusedConnectNamesAddressAndErrno`.)
@Suite struct DialledReadinessTests {
    @Test(arguments: ["tcp", "unix"])
    func greetingSentAtAcceptReachesTheDialledEnd(kind: String) async throws {
        try await withReactorGroup(reactors: 2) { group in
            let address = kind == "tcp" ? SocketAddress.loopbackIPv4() : try SocketAddress("unix:" + temporaryUnixPath("greeting"))
            let listener = try await Listener.listen(address, group: group)
            defer { listener.close() }
            let serving = Task {
                await listener.serve { conn in
                    try? await conn.write(ByteBuffer(string: "220 ready\r\n"))
                    try? await conn.closeWrite()
                }
            }
            // Several rounds: the greeting may arrive before, during or after the first read.
            for _ in 0..<20 {
                let client = try await Dialer(timeout: .seconds(5)).dial(listener.address, on: group.next())
                defer { client.close() }
                var received = ByteBuffer(capacity: 64)
                while try await client.read(into: &received) > 0 {}
                #expect(received.readString(length: received.readableBytes) == "220 ready\r\n")
            }
            listener.close()
            await serving.value
        }
    }
}
