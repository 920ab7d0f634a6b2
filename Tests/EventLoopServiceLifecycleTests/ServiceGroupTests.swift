import EventLoop
import EventLoopServiceLifecycle
import EventLoopTesting
import Glibc
import Logging
import ServiceLifecycle
import Testing
import TestSupport

/// The library's services under a real `ServiceGroup`: a graceful shutdown stops accepting,
/// drains and returns; cancellation stops at once; the reactor group stops last.
@Suite struct ServiceGroupTests {
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// An echo server as a service.
    static func echoService(_ listener: Listener, drainTimeout: Duration) -> TCPServerService {
        TCPServerService(listener: listener, drainTimeout: drainTimeout) { conn in
            var buffer = ByteBuffer()
            while true {
                buffer.clear()
                guard let count = try? await conn.read(into: &buffer), count > 0 else { return }
                guard (try? await conn.write(buffer)) != nil else { return }
            }
        }
    }

    static func expectRefused(_ address: SocketAddress, _ group: ReactorGroup) async {
        let refusal = await refusedConnect(to: address, group: group)
        #expect(refusal?.errno == ECONNREFUSED, "\(String(describing: refusal))")
    }

    @Test func aGracefulShutdownStopsAcceptingAndWaitsForOpenConnections() async throws {
        try await withReactorGroup { group in
            let listener = try await listenBelowEphemeralRange(group: group)
            let hold = try PortHold(listener.address)  // refused after the close, not reused
            defer { withExtendedLifetime(hold) {} }
            let services = ServiceGroup(services: [Self.echoService(listener, drainTimeout: .seconds(60))], logger: Self.quiet)
            let running = Task { try await services.run() }
            let client = try await Dialer().dial(listener.address, group: group)
            #expect(try await client.exchange("before") == "before")

            await services.triggerGracefulShutdown()
            await listener.waitUntilClosed()
            await Self.expectRefused(listener.address, group)
            #expect(try await client.exchange("during the drain") == "during the drain")
            client.close()
            try await withTimeout(20) { try await running.value }
        }
    }

    @Test func theDrainTimeoutClosesConnectionsStillOpen() async throws {
        try await withReactorGroup { group in
            let listener = try await listenBelowEphemeralRange(group: group)
            let hold = try PortHold(listener.address)  // refused after the close, not reused
            defer { withExtendedLifetime(hold) {} }
            let services = ServiceGroup(services: [Self.echoService(listener, drainTimeout: .milliseconds(200))], logger: Self.quiet)
            let running = Task { try await services.run() }
            let client = try await Dialer().dial(listener.address, group: group)
            defer { client.close() }
            #expect(try await client.exchange("then nothing") == "then nothing")
            await services.triggerGracefulShutdown()
            try await withTimeout(20) { try await running.value }
            #expect(try await client.readUntilClosed().text.isEmpty)
        }
    }

    @Test func cancellingTheGroupClosesEverythingAtOnce() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let udp = try await UDPListener.listen(.loopbackIPv4(), group: group)
            let udpService = UDPServerService(listener: udp) { conn in
                var datagrams: [Datagram] = []
                while (try? await conn.read(into: &datagrams, maxCount: 8)) != nil {
                    datagrams.removeAll()
                }
            }
            let services = ServiceGroup(
                services: [Self.echoService(listener, drainTimeout: .seconds(3600)), udpService], logger: Self.quiet
            )
            let running = Task { try await services.run() }
            let client = try await Dialer().dial(listener.address, group: group)
            defer { client.close() }
            #expect(try await client.exchange("hello") == "hello")
            running.cancel()
            _ = try? await withTimeout(20) { try await running.value }
            #expect(try await client.readUntilClosed().text.isEmpty)
            await Self.expectRefused(listener.address, group)
        }
    }

    @Test func theReactorGroupStopsAfterTheServersHaveDrained() async throws {
        let serverGroup = try ReactorGroup(count: 2)
        try await withReactorGroup { clients in
            let listener = try await Listener.listen(.loopbackIPv4(), group: serverGroup)
            let udp = try await UDPListener.listen(.loopbackIPv4(), group: serverGroup)
            let udpService = UDPServerService(listener: udp) { conn in
                var datagrams: [Datagram] = []
                while true {
                    do {
                        _ = try await conn.read(into: &datagrams, maxCount: 8)
                        try await conn.write(contentsOf: datagrams)
                    } catch {
                        return
                    }
                    conn.recycle(&datagrams)
                }
            }
            // Reverse order at shutdown: the servers first, the reactors last.
            let services = ServiceGroup(
                services: [ReactorGroupService(serverGroup), udpService, Self.echoService(listener, drainTimeout: .seconds(60))],
                logger: Self.quiet
            )
            let running = Task { try await services.run() }
            let client = try await Dialer().dial(listener.address, group: clients)
            #expect(try await client.exchange("hello") == "hello")
            await services.triggerGracefulShutdown()
            await listener.waitUntilClosed()
            // The reactors still run while the connection drains.
            #expect(try await client.exchange("still served") == "still served")
            #expect(!serverGroup.reactors.contains(where: { $0.isShuttingDown }))
            client.close()
            try await withTimeout(20) { try await running.value }
            #expect(serverGroup.reactors.allSatisfy({ $0.isStopped }))
        }
    }
}
