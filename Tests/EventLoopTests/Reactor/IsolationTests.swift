import EventLoop
import EventLoopTesting
import Testing

/// The connections' async methods work from any isolation: called from an actor whose
/// executor is not the connection's reactor, they hop to the reactor and back. The hop must
/// not depend on the language mode: with nonisolated async functions running on the caller's
/// executor (Swift 6.2's `NonisolatedNonsendingByDefault`), a hop that relied on the old
/// default would run the reactor's work on the actor's executor. (A default actor would not
/// show it: under a task executor preference it runs on the preferred executor; an actor with
/// its own serial executor, like the main actor, does.)
@Suite struct IsolationTests {
    /// An actor whose serial executor is another reactor, talking over connections it is handed.
    actor Talker {
        let home: Reactor
        private(set) var rounds = 0

        init(home: Reactor) { self.home = home }

        nonisolated var unownedExecutor: UnownedSerialExecutor { home.asUnownedSerialExecutor() }

        func tcpRound(_ conn: TCPConn, _ peer: TCPConn) async throws -> [UInt8] {
            try await conn.write(ByteBuffer(bytes: [1, 2, 3]))
            try await conn.write(contentsOf: [ByteBuffer(bytes: [4]), ByteBuffer(bytes: [5, 6])])
            var buffer = ByteBuffer()
            try await peer.readExactly(6, into: &buffer)
            try await peer.write(buffer)
            var echoed = ByteBuffer()
            while echoed.readableBytes < 6 { _ = try await conn.read(into: &echoed) }
            try await conn.closeWrite()
            #expect(home.isCurrent, "back on the actor's executor")
            rounds += 1
            return echoed.readBytes(length: echoed.readableBytes) ?? []
        }

        func udpRound(_ conn: UDPConn, _ peer: UDPConn) async throws -> [[UInt8]] {
            try await conn.write(ByteBuffer(bytes: [7]))
            try await conn.write(contentsOf: [Datagram(data: ByteBuffer(bytes: [8, 9]))])
            var received: [[UInt8]] = []
            var buffer = ByteBuffer()
            _ = try await peer.read(into: &buffer)
            received.append(buffer.readBytes(length: buffer.readableBytes) ?? [])
            var batch: [Datagram] = []
            _ = try await peer.read(into: &batch)
            received.append(contentsOf: batch.map { $0.data.getBytes(at: $0.data.readerIndex, length: $0.data.readableBytes) ?? [] })
            try await conn.setOption(.receiveBufferSize, 1 << 16)
            #expect(home.isCurrent, "back on the actor's executor")
            rounds += 1
            return received
        }
    }

    @Test func tcpCallsFromAnActorHopToTheReactor() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let reactor = group.reactors[1]
            let listener = try await Listener.listen(.loopbackIPv4(), on: reactor)
            defer { listener.close() }
            async let accepted = listener.accept()
            let client = try await Dialer().dial(listener.address, on: reactor)
            let server = try await accepted
            defer { client.close(); server.close() }
            #expect(client.reactor === reactor && server.reactor === reactor)
            let talker = Talker(home: group.reactors[0])
            #expect(try await talker.tcpRound(client, server) == [1, 2, 3, 4, 5, 6])
            #expect(await talker.rounds == 1)
        }
    }

    @Test func udpCallsFromAnActorHopToTheReactor() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let (first, second) = try await UDPConn.pair(on: group.reactors[1])
            defer { first.close(); second.close() }
            let talker = Talker(home: group.reactors[0])
            #expect(try await talker.udpRound(first, second) == [[7], [8, 9]])
            #expect(await talker.rounds == 1)
        }
    }
}
