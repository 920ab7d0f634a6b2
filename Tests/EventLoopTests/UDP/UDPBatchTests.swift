import TestSupport
import EventLoop
import EventLoopTesting
import Testing

/// recvmmsg/sendmmsg: 64 datagrams each way, each write of them one system call.
@Suite struct UDPBatchTests {
    @Test func sixtyFourDatagramsEachWay() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let server = try await UDPConn.bind(.loopbackIPv4(), on: group.reactors[1],
                                                options: DatagramOptions(receiveBufferSize: 1 << 20))
            let client = try await UDPConn.bind(.loopbackIPv4(), on: group.reactors[0],
                                                options: DatagramOptions(receiveBufferSize: 1 << 20))
            defer { server.close(); client.close() }
            let outgoing = (0..<64).map { index in
                Datagram(data: Pattern.bytes(at: 0, count: 100 + index, seed: index), remoteAddress: server.localAddress!)
            }
            try await client.write(contentsOf: outgoing)
            #expect(client.stats.sendCalls == 1, "64 datagrams in one sendmmsg")
            #expect(client.stats.datagramsWritten == 64)

            // The server echoes in batches as they come.
            let echo = Task(executorPreference: server.reactor) {
                var received: [Datagram] = []
                var total = 0
                while total < 64 {
                    var batch: [Datagram] = []
                    total += try await server.read(into: &batch, maxCount: 64)
                    received += batch
                }
                try await server.write(contentsOf: received)
                return received
            }
            let atServer = try await echo.value
            #expect(atServer.count == 64)
            for (index, datagram) in atServer.enumerated() {
                #expect(datagram.data == outgoing[index].data, "datagram \(index)")
                #expect(datagram.remoteAddress == client.localAddress)
                #expect(!datagram.isTruncated)
                #expect(datagram.data.isPooled)
            }
            #expect(server.stats.sendCalls == 1, "64 echoes in one sendmmsg")
            #expect(server.stats.receiveCalls <= 64)

            var back: [Datagram] = []
            while back.count < 64 { _ = try await client.read(into: &back, maxCount: 64) }
            #expect(back.map(\.data) == outgoing.map(\.data))
            client.recycle(&back)
            #expect(back.isEmpty)
        }
    }

    /// A batch read with datagrams waiting takes them all in one call.
    @Test func queuedDatagramsComeInOneReceive() async throws {
        try await withReactorGroup { group in
            let server = try await UDPConn.bind(.loopbackIPv4(), group: group)
            let client = try await UDPConn.connect(to: server.localAddress!, on: group.reactors[0])
            defer { server.close(); client.close() }
            for index in 0..<10 { try await client.write(ByteBuffer(bytes: [UInt8(index)])) }
            var batch: [Datagram] = []
            // Loopback delivery can lag the send a little: gather until all ten are in.
            while batch.count < 10 { _ = try await server.read(into: &batch, maxCount: 64) }
            #expect(batch.map { $0.data.readableBytesArray } == (0..<10).map { [UInt8($0)] })
            #expect(server.stats.receiveCalls <= 10)
        }
    }

    /// Runs of equal datagrams to one destination go out as segmented sends; the receiver
    /// still gets each datagram on its own, in order, whatever the mix of sizes and peers.
    @Test func segmentedRunsArriveAsSeparateDatagrams() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let options = DatagramOptions(receiveBufferSize: 1 << 20)
            let first = try await UDPConn.bind(.loopbackIPv4(), on: group.reactors[1], options: options)
            let second = try await UDPConn.bind(.loopbackIPv4(), on: group.reactors[1], options: options)
            let client = try await UDPConn.bind(.loopbackIPv4(), on: group.reactors[0])
            defer { first.close(); second.close(); client.close() }
            // 20 of 64 bytes and a shorter one to `first`, 2 to `second`, 30 more to `first`,
            // one of 1,500 bytes (too large to merge) and one empty datagram.
            var sizes: [(Int, UDPConn)] = Array(repeating: (64, first), count: 20) + [(10, first), (64, second), (64, second)]
            sizes += Array(repeating: (1_400, first), count: 30) + [(1_500, first), (0, first)]
            let outgoing = sizes.enumerated().map { index, entry in
                Datagram(data: Pattern.bytes(at: index, count: entry.0), remoteAddress: entry.1.localAddress!)
            }
            try await client.write(contentsOf: outgoing)
            #expect(client.stats.datagramsWritten == UInt64(sizes.count))
            #expect(client.stats.sendCalls == 1)
            for (conn, expected) in [(first, outgoing.filter { $0.remoteAddress == first.localAddress }),
                                     (second, outgoing.filter { $0.remoteAddress == second.localAddress })] {
                let reader = Task(executorPreference: conn.reactor) {
                    var received: [Datagram] = []
                    while received.count < expected.count { _ = try await conn.read(into: &received, maxCount: 64) }
                    return received
                }
                let received = try await reader.value
                #expect(received.map(\.data) == expected.map(\.data))
                #expect(received.allSatisfy { !$0.isTruncated && $0.remoteAddress == client.localAddress })
            }
        }
    }
}
