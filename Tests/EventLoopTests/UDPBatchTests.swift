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
}
