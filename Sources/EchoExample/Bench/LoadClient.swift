import EventLoop

/// One connection of a load run. A writer task keeps up to `pipeline` messages in flight
/// (several in one write when the window allows), then half-closes; a reader task checks every
/// echoed byte against the connection's ``PatternStream`` and records each message's latency,
/// from its send to the arrival of its last byte. Both run on the connection's reactor. The
/// connection is plain TCP or TLS (``BenchConn``).
struct LoadClient: Sendable {
    /// The shape and timing of a load run.
    struct Plan: Sendable {
        /// Bytes per message (`-s`).
        var size: Int
        /// Messages in flight per connection (`-p`).
        var pipeline: Int
        /// No message is sent after this (monotonic ns).
        var stopSending: UInt64
        /// Every read and write fails after this: nothing can hang past it.
        var hardDeadline: Deadline
    }

    /// How a connection's run ended.
    struct Outcome: Sendable {
        /// The first error (I/O failure, early close), if any.
        var error: String?
        /// Set when echoed bytes differed from those sent.
        var mismatch: String?
    }

    /// Sends no more than this many bytes in one write (at least one message).
    static let maxBatchBytes = 256 * 1024
    /// How long the reader waits for the end of stream once every message came back.
    static let endOfStreamWait: Duration = .seconds(1)

    let conn: any BenchConn
    let stream: PatternStream
    let plan: Plan
    let recorder: LatencyRecorder

    /// Runs the connection until the plan's stop time and the echo of every message sent,
    /// then closes it.
    func run() async -> Outcome {
        conn.setDeadline(plan.hardDeadline)
        let window = PipelineWindow(depth: plan.pipeline)
        async let writing = write(window)
        var outcome = await read(window)
        if outcome.error != nil || outcome.mismatch != nil {
            // Unblock the writer: stop it and fail a write waiting on the peer.
            window.stop()
            conn.abort()
        }
        if let writeError = await writing, outcome.error == nil, outcome.mismatch == nil {
            outcome.error = writeError
        }
        conn.close()
        return outcome
    }

    /// The writer: returns its error, if any.
    private func write(_ window: PipelineWindow) async -> String? {
        let size = plan.size
        let batchLimit = max(1, LoadClient.maxBatchBytes / size)
        var buffer = ByteBuffer(capacity: min(batchLimit, plan.pipeline) * size)
        var offset: UInt64 = 0
        do {
            while Deadline.now.nanoseconds < plan.stopSending {
                let free = await window.acquire()
                if free == 0 { return nil }  // the reader stopped early and reports why
                if Deadline.now.nanoseconds >= plan.stopSending { break }
                let bytes = min(free, batchLimit) * size
                buffer.clear()
                buffer.reserveCapacity(minimumWritableBytes: bytes)
                _ = buffer.withUnsafeMutableWritableBytes { space in
                    stream.fill(UnsafeMutableRawBufferPointer(rebasing: space[..<bytes]), from: offset)
                    return bytes
                }
                window.noteSent(bytes / size, at: Deadline.now.nanoseconds)
                try await conn.write(buffer)
                offset += UInt64(bytes)
            }
            window.finishWriting()
            try await conn.closeWrite()
            // Everything already came back: the reader waits only briefly for the end of stream.
            if window.isComplete { conn.setReadDeadline(.after(LoadClient.endOfStreamWait)) }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// The reader: verifies, completes and records until the server ends the stream.
    private func read(_ window: PipelineWindow) async -> Outcome {
        let size = UInt64(plan.size)
        let shard = recorder.shardIndex(for: conn.reactor)
        var buffer = ByteBuffer()  // read gives it a pooled chunk sized by recent reads
        var sentAt: [UInt64] = []
        sentAt.reserveCapacity(plan.pipeline)
        var offset: UInt64 = 0
        do {
            while true {
                buffer.clear()
                let count = try await conn.read(into: &buffer)
                if count == 0 {
                    if window.isComplete && offset % size == 0 { return Outcome() }
                    return Outcome(error: "the server closed the connection early, after echoing \(offset) bytes (\(window.sent) messages sent)")
                }
                if offset % size == 0 && window.isComplete {
                    return Outcome(mismatch: "more bytes echoed than sent (\(offset + UInt64(count)) bytes)")
                }
                let expected = buffer.withUnsafeReadableBytes { stream.matches($0, at: offset) }
                guard expected else {
                    return Outcome(mismatch: "echoed bytes differ from those sent, within stream bytes \(offset)..<\(offset + UInt64(count))")
                }
                let done = Int((offset + UInt64(count)) / size - offset / size)
                offset += UInt64(count)
                guard done > 0 else { continue }
                let now = Deadline.now.nanoseconds
                sentAt.removeAll(keepingCapacity: true)
                guard window.complete(done, sentAt: &sentAt) else {
                    return Outcome(mismatch: "more bytes echoed than sent (\(offset) bytes)")
                }
                recorder.record(shard: shard, completedAt: now, sentAt: sentAt)
                if offset % size == 0 && window.isComplete {
                    // All echoed: wait briefly for the server's end of stream (not needed, but polite).
                    conn.setReadDeadline(.after(LoadClient.endOfStreamWait))
                }
            }
        } catch let error as NetError where error.isTimeout && window.isComplete && offset % size == 0 {
            return Outcome()  // everything came back; the server just did not close
        } catch {
            return Outcome(error: "\(error)")
        }
    }
}
