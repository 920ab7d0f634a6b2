@testable import EventLoop
import EventLoopTesting
import Testing

/// `ReactorGroup.statistics` moves with traffic: loop passes, events, tasks, sockets, timers.
@Suite struct ReactorStatisticsTests {
    @Test func statisticsMoveWhenTrafficFlows() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            let before = try #require(group.statistics.first)
            #expect(before.reactor == reactor.name)
            let pair = try await LoopbackPair.make(group: group)
            var buffer = ByteBuffer(capacity: 1024)
            for round in 0..<20 {
                try await pair.client.write(Array("message \(round)\n".utf8))
                buffer.clear()
                _ = try await pair.server.read(into: &buffer)
                try await pair.server.write(buffer)
                buffer.clear()
                _ = try await pair.client.read(into: &buffer)
            }
            let during = reactor.statistics
            #expect(during.openSockets >= 2)
            #expect(during.loopIterations > before.loopIterations)
            #expect(during.eventsHandled >= before.eventsHandled + 20)
            #expect(during.tasksRun >= before.tasksRun + 40)
            // A pending timer is counted once the loop has passed.
            try await reactor.submit { _ = reactor.schedule(afterNanoseconds: 60_000_000_000) {} }
            try await waitUntil { reactor.statistics.timersArmed >= 1 }
            let fired = reactor.statistics.timersFired
            try await reactor.submit { _ = reactor.schedule(afterNanoseconds: 1_000_000) {} }
            try await waitUntil { reactor.statistics.timersFired > fired }
            pair.close()
            try await waitUntil { reactor.statistics.openSockets == 0 }
        }
    }
}
