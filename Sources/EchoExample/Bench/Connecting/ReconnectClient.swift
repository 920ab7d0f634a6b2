import EventLoop
import Synchronization

/// One connection slot of a `--reconnect` run: dial (with TLS: the full or resumed handshake),
/// send one message, check its echo, close, again until the plan's stop time. Measures the
/// cost of new connections; each message's latency runs from its send to its echo.
struct ReconnectClient<C: BenchConn>: Sendable {
    /// Connections made and sessions resumed inside the measured window, all slots.
    final class Counter: Sendable {
        private let made = Atomic<Int>(0)
        private let resumedSessions = Atomic<Int>(0)
        private let measureFrom: UInt64
        private let measureUntil: UInt64

        /// Counts what completes in `from ..< until`.
        init(measuring from: Deadline, until: Deadline) {
            measureFrom = from.nanoseconds
            measureUntil = until.nanoseconds
        }

        /// A connection (and its handshake) completed at `now` (monotonic ns).
        func connected(at now: UInt64, resumed: Bool) {
            guard now >= measureFrom && now < measureUntil else { return }
            made.add(1, ordering: .relaxed)
            if resumed { resumedSessions.add(1, ordering: .relaxed) }
        }

        /// Connections made in the window.
        var connections: Int { made.load(ordering: .relaxed) }
        /// Of those, handshakes that resumed a session.
        var resumed: Int { resumedSessions.load(ordering: .relaxed) }
    }

    let dial: @Sendable () async throws -> C
    let stream: PatternStream
    let plan: LoadClient.Plan
    let recorder: LatencyRecorder
    let counter: Counter
    let shard: Int

    /// Runs the slot until the plan's stop time; stops at the first error or mismatch.
    func run() async -> LoadClient.Outcome {
        let size = plan.size
        var message = ByteBuffer()
        var echo = ByteBuffer()
        var offset: UInt64 = 0
        while Deadline.now.nanoseconds < plan.stopSending {
            let conn: C
            do {
                conn = try await dial()
            } catch {
                return LoadClient.Outcome(error: "connect: \(error)")
            }
            counter.connected(at: Deadline.now.nanoseconds, resumed: conn.resumedSession)
            conn.setDeadline(plan.hardDeadline)
            message.clear()
            message.reserveCapacity(minimumWritableBytes: size)
            _ = message.withUnsafeMutableWritableBytes { space in
                stream.fill(UnsafeMutableRawBufferPointer(rebasing: space[..<size]), from: offset)
                return size
            }
            do {
                let sentAt = Deadline.now.nanoseconds
                try await conn.write(message)
                echo.clear()
                try await conn.readExactly(size, into: &echo)
                let now = Deadline.now.nanoseconds
                guard echo.withUnsafeReadableBytes({ stream.matches($0, at: offset) }) else {
                    conn.close()
                    return LoadClient.Outcome(mismatch: "echoed bytes differ from those sent, within stream bytes \(offset)..<\(offset + UInt64(size))")
                }
                recorder.record(shard: shard, completedAt: now, sentAt: CollectionOfOne(sentAt))
            } catch {
                conn.close()
                return LoadClient.Outcome(error: "\(error)")
            }
            conn.close()
            offset += UInt64(size)
        }
        return LoadClient.Outcome()
    }
}
