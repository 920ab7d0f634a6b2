import TestSupport
import EventLoop
import EventLoopTesting
import Testing

/// Open, exchange, close, as fast as it goes for a bounded time on a two-reactor group; then
/// every socket is closed and every pooled buffer is back (`withReactorGroup` checks both).
@Suite struct ConnectionChurnTests {
    @Test func churnLeavesNoSocketOrBufferBehind() async throws {
        let duration = StressScale.churnSeconds
        let exchanged = Counter()
        try await withReactorGroup(reactors: 2, timeout: duration + 60) { group in
            let server = try await EchoServer(group: group)
            let address = SocketAddress.loopbackIPv4(port: server.port)
            let stopAt = ContinuousClock.now + .milliseconds(Int(duration * 1000))
            // Bounded in count as well as time: each closed connection leaves a TIME_WAIT port.
            let maxPerWorker = 2_500
            let minimumPerWorker = StressScale.underSanitizer ? 3 : 25
            try await withThrowingTaskGroup(of: Void.self) { workers in
                for worker in 0..<4 {
                    workers.addTask {
                        var round = 0
                        // Churn for the time given, but at least a few rounds each however slow
                        // the machine (a sanitizer run is 5-20x slower): counts, not speed, matter.
                        while round < maxPerWorker && (ContinuousClock.now < stopAt || round < minimumPerWorker) {
                            let conn = try await Dialer().dial(address, on: group.reactors[worker % 2])
                            defer { conn.close() }
                            let size = 1 + (round * 97) % 4_000
                            try await conn.write(Pattern.bytes(at: round, count: size, seed: worker))
                            var reply = ByteBuffer()
                            try await conn.readExactly(size, into: &reply)
                            #expect(Pattern.matches(reply, at: round, seed: worker))
                            if round % 3 == 0 { try await conn.closeWrite() }  // a third end with a FIN first
                            round += 1
                            exchanged.increment()
                        }
                    }
                }
                try await workers.waitForAll()
            }
            try await waitUntil(within: 30) { server.open.load(ordering: .relaxed) == 0 }
            #expect(server.served.load(ordering: .relaxed) == exchanged.count)
            await server.close()
        }
        // A floor that shows the churn happened; under a sanitizer everything is 5-20x slower.
        let floor = StressScale.underSanitizer ? 10 : 100
        #expect(exchanged.count >= floor, "only \(exchanged.count) connections in \(duration) s")
    }
}
