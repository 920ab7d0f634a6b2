import TestSupport
import EventLoop
import EventLoopTesting
import Glibc
import Testing

/// The peer resets while a large write is in progress (suspended on a full socket buffer):
/// the write throws ECONNRESET or EPIPE naming `write`, and no pooled buffer stays out.
@Suite struct PeerResetsMidWriteTests {
    @Test func suspendedLargeWriteFailsWithReset() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let large = Pattern.bytes(at: 0, count: 16 << 20)  // far more than both socket buffers
            let writer = Task { () -> NetError? in
                do {
                    try await pair.server.write(large)
                    return nil
                } catch {
                    return error as? NetError
                }
            }
            // The client reads a little so the write is under way, then stops and resets.
            var buffer = ByteBuffer()
            try await pair.client.readExactly(100_000, into: &buffer)
            try await waitUntil { pair.server.stats.bytesWritten > 200_000 }
            try await Task.sleep(for: .milliseconds(50))  // let the write fill the buffers and suspend
            #expect(pair.server.stats.bytesWritten < UInt64(large.readableBytes), "the write was not in progress")
            pair.client.abort()
            let error = await writer.value
            #expect(error != nil, "a 16 MiB write to a reset peer completed")
            #expect(error?.errno == ECONNRESET || error?.errno == EPIPE, "\(String(describing: error))")
            #expect(error?.operation == "write")
            // The connection is dead but usable for errors only: the next write fails at once.
            await #expect(throws: NetError.self) { try await pair.server.write([1]) }
        }
    }
}
