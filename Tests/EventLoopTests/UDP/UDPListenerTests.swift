import TestSupport
import EventLoop
import EventLoopTesting
import Glibc
import Testing

/// One SO_REUSEPORT socket per reactor, served at both levels of the library.
@Suite struct UDPListenerTests {
    /// Echoes every datagram at the handler level: a batch in, the same batch queued back,
    /// one flush.
    final class BatchEcho: DatagramHandler {
        func readable(_ socket: DatagramSocket) {
            precondition(socket.reactor.isCurrent)
            while true {
                let result = try? socket.receiveBatch(maxCount: 32) { datagram in
                    try? socket.send(datagram.bytes, to: datagram.sender)
                }
                guard case .processed? = result else { break }
            }
            try? socket.flush()
        }
    }

    /// Sends 64 datagrams from `flows` client sockets and checks every echo.
    func exchange(with address: SocketAddress, flows: Int, group: ReactorGroup) async throws {
        for flow in 0..<flows {
            let client = try await UDPConn.connect(to: address, on: group.reactors[flow % group.reactors.count])
            defer { client.close() }
            let outgoing = (0..<64).map { Datagram(data: Pattern.bytes(at: $0, count: 64, seed: flow)) }
            try await client.write(contentsOf: outgoing)
            var back: [Datagram] = []
            client.setReadDeadline(.now + .seconds(10))
            while back.count < 64 { _ = try await client.read(into: &back, maxCount: 64) }
            #expect(Set(back.map(\.data.readableBytesArray)) == Set(outgoing.map(\.data.readableBytesArray)))
            client.recycle(&back)
        }
    }

    @Test func socketPerReactorOnOnePort() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let listener = try await UDPListener.listen(.loopbackIPv4(), group: group,
                                                        options: DatagramOptions(receiveBufferSize: 1 << 20))
            #expect(listener.conns.count == 2)
            #expect(listener.conns.allSatisfy { $0.localAddress == listener.address })
            #expect(listener.conns.map { $0.reactor.name } == group.reactors.map(\.name))
            #expect(group.openSocketCount == 2)
            listener.serveHandlers { _ in BatchEcho() }
            try await exchange(with: listener.address, flows: 4, group: group)
            listener.close()
        }
    }

    @Test func asyncServeEchoesAndEndsOnClose() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let listener = try await UDPListener.listen("127.0.0.1:0", group: group,
                                                        options: DatagramOptions(receiveBufferSize: 1 << 20))
            let serving = Task {
                await listener.serve { conn in
                    var batch: [Datagram] = []
                    while true {
                        do {
                            _ = try await conn.read(into: &batch)
                            try await conn.write(contentsOf: batch)
                            conn.recycle(&batch)
                        } catch {
                            return
                        }
                    }
                }
            }
            try await exchange(with: listener.address, flows: 4, group: group)
            listener.close()
            await serving.value
        }
    }

    /// Every socket and every pooled buffer comes back: after many batches, and after a
    /// reactor shutdown with sockets still open.
    @Test func noDescriptorOrBufferLeaks() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let before = group.openSocketCount
            let listener = try await UDPListener.listen(.loopbackIPv4(), group: group)
            listener.serveHandlers { _ in BatchEcho() }
            #expect(group.openSocketCount == before + 2)
            try await exchange(with: listener.address, flows: 8, group: group)
            let (left, right) = try await UDPConn.pair(on: group.reactors[1])
            #expect(group.openSocketCount == before + 4)
            left.close()
            right.close()
            listener.close()
            try await LeakCheck.expectNoSocketsLeft(in: group)
            try await LeakCheck.expectNoBuffersOut(in: group)
        }
        // Sockets left open when the group shuts down are closed by it.
        let group = try ReactorGroup(count: 1, name: "udp-shutdown")
        let conn = try await UDPConn.bind(.loopbackIPv4(), group: group)
        #expect(group.openSocketCount == 1)
        await group.shutdown()
        #expect(group.openSocketCount == 0)
        var buffer = ByteBuffer()
        await #expect(throws: NetError.self) { try await conn.read(into: &buffer) }
    }
}
