import TestSupport
import EventLoop
import EventLoopTesting
import Testing

/// The peer never reads: the server's write suspends (back-pressure), a write deadline ends it
/// with `.timeout`, the connection stays usable, and nothing grows while it waits: the pooled
/// buffers out stay bounded over repeated timeouts.
@Suite struct PeerNeverReadsTests {
    @Test func writeDeadlineEndsASuspendedWrite() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let chunk = Pattern.bytes(at: 0, count: 64 * 1024)
            var written = 0
            var outstanding: [Int] = []
            for round in 0..<5 {
                pair.server.setWriteDeadline(.after(.milliseconds(200)))
                let start = ContinuousClock.now
                let error = await #expect(throws: NetError.self) {
                    while true {
                        try await pair.server.write(chunk)
                        written += chunk.readableBytes
                    }
                }
                #expect(error?.isTimeout == true, "round \(round): \(String(describing: error))")
                #expect(error?.operation == "write")
                #expect(seconds(since: start) < 5)
                outstanding.append(group.bufferPoolStats.inUse)
            }
            // Every round stopped at the same full socket: the writes did not keep queueing.
            #expect(written < 32 << 20, "\(written) bytes accepted by a peer that never reads")
            #expect(outstanding.allSatisfy { $0 <= outstanding[0] + 1 }, "pooled buffers out per round: \(outstanding)")
            // Still usable: once the peer reads, a write goes through.
            pair.server.setWriteDeadline(nil)
            let drain = Task { try await pair.client.readAll(limit: 64 << 20) }
            try await pair.server.write([1, 2, 3])
            try await pair.server.closeWrite()
            let received = try await drain.value
            #expect(received.readableBytes >= 3)
        }
    }
}
