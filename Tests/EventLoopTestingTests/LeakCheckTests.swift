import EventLoop
import EventLoopTesting
import Testing

/// `LeakCheck.expectNoLeaks`: sockets, pooled buffers and reactor threads in one call.
@Suite struct LeakCheckTests {
    @Test func aCleanGroupPassesAndIsShutDown() async throws {
        let group = try ReactorGroup(count: 2, name: "leak-clean")
        let pair = try await LoopbackPair.make(group: group)
        pair.close()
        try await LeakCheck.expectNoLeaks(group)
        #expect(group.reactors.allSatisfy { $0.isStopped })
    }

    @Test func reportsASocketAndABufferLeftInOneError() async throws {
        let group = try ReactorGroup(count: 1, name: "leak-dirty")
        let pair = try await LoopbackPair.make(group: group)
        let reactor = group.reactors[0]
        let held = try await reactor.submit { reactor.bufferPool.acquire() }
        do {
            try await LeakCheck.expectNoLeaks(group, within: 0.05)
            Issue.record("a leak went unreported")
        } catch let error as LeakError {
            #expect(error.description.contains("2 socket(s) still open"), "\(error)")
            #expect(error.description.contains("1 pooled buffer chunk(s) still in use"), "\(error)")
        }
        #expect(group.reactors.allSatisfy { $0.isStopped }, "the group is shut down either way")
        pair.close()
        _ = held
    }
}
