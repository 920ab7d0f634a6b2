import TestSupport
import EventLoop
import EventLoopTesting
import Testing

/// 1,000 connections at once echoing through a two-reactor group, every byte checked.
@Suite struct ThousandConnectionsTests {
    @Test func thousandConcurrentEchoes() async throws {
        _ = fileLimitRaised
        try await withReactorGroup(reactors: 2, timeout: 120) { group in
            let listener = try await startEchoServer(group)
            let address = listener.address
            let clients = try ReactorGroup(count: 2, name: "client")
            defer { clients.shutdownAndWait() }
            let echoed = try await withThrowingTaskGroup(of: Int.self) { tasks in
                for index in 0..<1000 {
                    tasks.addTask {
                        let conn = try await Dialer().dial(address, group: clients)
                        defer { conn.close() }
                        var total = 0
                        for round in 0..<5 {
                            let message = Pattern.bytes(at: round * 1000, count: 1000, seed: index)
                            try await conn.write(message)
                            var reply = ByteBuffer()
                            try await conn.readExactly(1000, into: &reply)
                            if reply != message { return -1 }
                            total += 1000
                        }
                        return total
                    }
                }
                return try await tasks.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(echoed.count == 1000)
            #expect(echoed.allSatisfy { $0 == 5000 })
            listener.close()
            try await LeakCheck.expectNoSocketsLeft(in: clients)
        }
    }
}
