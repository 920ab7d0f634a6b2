import EventLoop
import EventLoopTesting
import Testing

/// Slowloris: a peer that connects and sends nothing is ended by the idle timeout; a peer that
/// dribbles a byte at a time defeats an idle timeout but not an absolute read deadline (the two
/// combine: the earlier one applies).
@Suite struct PeerSendsNothingTests {
    @Test func idleTimeoutEndsASilentPeer() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            pair.server.setIdleTimeout(.milliseconds(200))
            let start = ContinuousClock.now
            var buffer = ByteBuffer()
            let error = await #expect(throws: NetError.self) { _ = try await pair.server.read(into: &buffer) }
            let elapsed = seconds(since: start)
            #expect(error?.isTimeout == true, "\(String(describing: error))")
            #expect(error?.operation == "read")
            #expect(elapsed >= 0.19 && elapsed < 30, "timed out after \(elapsed) s")
        }
    }

    @Test func readDeadlineEndsADribblingPeer() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            pair.server.setReadDeadline(.after(.milliseconds(1_500)))
            // On the reactor, so a busy global pool (a loaded sanitizer run) cannot hold it back.
            let reactor = pair.client.reactor
            let dribbler = Task(executorPreference: reactor) {
                for _ in 0..<100 {  // one byte every 50 ms: an idle timeout would never fire
                    try await pair.client.write([0x41])
                    try await reactor.sleep(for: .milliseconds(50))
                }
            }
            defer { dribbler.cancel() }
            let start = ContinuousClock.now
            var request = ByteBuffer()
            let error = await #expect(throws: NetError.self) { try await pair.server.readExactly(1_000, into: &request) }
            let elapsed = seconds(since: start)
            #expect(error?.isTimeout == true, "\(String(describing: error))")
            #expect(request.readableBytes >= 1, "the dribble arrived before the deadline")
            #expect(elapsed >= 1.45 && elapsed < 30, "timed out after \(elapsed) s")
        }
    }
}
