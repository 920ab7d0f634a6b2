import EventLoop
import EventLoopTesting
import Logging
import ServiceLifecycle
import ShoutServer
import Testing

/// The shout server through the library's products only, over loopback, port 0, bounded in
/// time and checked for leaked descriptors (`withReactorGroup`).
@Suite struct ShoutServerTests {
    @Test func theAcceptLoopServesUntilTheListenerCloses() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let server = Task { try await ShoutServers.acceptLoop(listener) }
            #expect(try await Shout.shout("hello", to: listener.address, group: group) == "HELLO")
            #expect(try await Shout.shout("again", to: listener.address, group: group) == "AGAIN")
            listener.close()
            try await withTimeout(30) { try await server.value }
        }
    }

    @Test func serveDrainsOnAGracefulShutdown() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let shutdown = GracefulShutdown()
            let server = Task { try await ShoutServers.serve(listener, shutdown: shutdown, drainTimeout: .seconds(30)) }
            let conn = try await Dialer().dial(listener.address, group: group)
            try await conn.write(Array("before".utf8))
            var reply = ByteBuffer()
            try await conn.readExactly(6, into: &reply)
            #expect(reply.readString(length: 6) == "BEFORE")

            shutdown.request()
            await listener.waitUntilClosed()
            // The open connection is still served while it drains.
            try await conn.write(Array("after".utf8))
            try await conn.readExactly(5, into: &reply)
            #expect(reply.readString(length: 5) == "AFTER")
            conn.close()
            try await withTimeout(30) { try await server.value }
        }
    }

    @Test func runsInAServiceGroup() async throws {
        let serverGroup = try ReactorGroup(count: 1)
        try await withReactorGroup { clients in
            let listener = try await Listener.listen(.loopbackIPv4(), group: serverGroup)
            let services = ShoutServers.serviceGroup(
                listener, group: serverGroup, drainTimeout: .seconds(5),
                logger: Logger(label: "consumer") { _ in SwiftLogNoOpLogHandler() }
            )
            let running = Task { try await services.run() }
            #expect(try await Shout.shout("service", to: listener.address, group: clients) == "SERVICE")
            await services.triggerGracefulShutdown()
            try await withTimeout(30) { try await running.value }
            #expect(serverGroup.reactors.allSatisfy({ $0.isStopped }))
        }
    }
}
