import EventLoop

/// One flow of a UDP load run: a connected UDP socket that keeps `pipeline` datagrams in
/// flight, sent and read back in batches of up to `batch` per system call. Each datagram
/// carries its slot and sequence number in a 16-byte header, then bytes of the flow's
/// ``PatternStream``; every echo is checked. A datagram not echoed within the loss timeout
/// is counted lost and its slot sends a new one; an echo that comes after that is late.
struct UDPLoadClient: Sendable {
    /// The shape and timing of a UDP load run.
    struct Plan: Sendable {
        /// Bytes per datagram (`-s`, at least the 16-byte header).
        var size: Int
        /// Datagrams in flight per flow (`-p`).
        var pipeline: Int
        /// Datagrams per sendmmsg/recvmmsg (`--batch`).
        var batch: Int
        /// A datagram not echoed within this is lost (ns).
        var lossTimeout: UInt64
        /// No datagram is sent after this (monotonic ns).
        var stopSending: UInt64
        /// Datagrams sent in `measureFrom ..< stopSending` count as sent (and maybe lost).
        var measureFrom: UInt64
    }

    /// How a flow's run ended and what it counted.
    struct Outcome: Sendable {
        var error: String?
        var mismatches = 0
        var firstMismatch: String?
        /// Datagrams sent in the measured window.
        var sent = 0
        /// Of those, not echoed within the loss timeout.
        var lost = 0
        /// Echoes that came after their datagram was counted lost.
        var late = 0
    }

    static let headerSize = 16

    let conn: UDPConn
    let stream: PatternStream
    let plan: Plan
    let recorder: LatencyRecorder

    /// The state of the in-flight slots.
    private struct Slots {
        var sequence: [UInt64]
        var sentAt: [UInt64]
        var active: [Bool]
        var activeCount = 0
        var nextSequence: UInt64 = 1

        init(count: Int) {
            sequence = Array(repeating: 0, count: count)
            sentAt = Array(repeating: 0, count: count)
            active = Array(repeating: false, count: count)
        }

        /// The earliest send time of an active slot, or nil.
        var oldest: UInt64? {
            var result: UInt64?
            for index in active.indices where active[index] { result = min(result ?? .max, sentAt[index]) }
            return result
        }
    }

    /// Runs the flow until the stop time and the echo (or loss) of every datagram sent, then
    /// closes the socket.
    func run() async -> Outcome {
        var outcome = Outcome()
        var slots = Slots(count: plan.pipeline)
        var outgoing: [Datagram] = []
        var incoming: [Datagram] = []
        var completedSentAt: [UInt64] = []
        outgoing.reserveCapacity(plan.pipeline)
        completedSentAt.reserveCapacity(plan.batch)
        let shard = recorder.shardIndex(for: conn.reactor)
        defer { conn.close() }
        do {
            for slot in 0..<plan.pipeline { queue(slot, &slots, &outgoing, &outcome, now: Deadline.now.nanoseconds) }
            try await send(&outgoing)
            while slots.activeCount > 0 {
                conn.setReadDeadline(Deadline(nanoseconds: (slots.oldest ?? 0) &+ plan.lossTimeout))
                do {
                    _ = try await conn.read(into: &incoming, maxCount: plan.batch)
                } catch let error as NetError where error.isTimeout {
                    expire(&slots, &outgoing, &outcome)
                    try await send(&outgoing)
                    continue
                }
                let now = Deadline.now.nanoseconds
                completedSentAt.removeAll(keepingCapacity: true)
                for datagram in incoming {
                    guard let (slot, sequence) = check(datagram, &outcome) else { continue }
                    guard slots.active[slot] && slots.sequence[slot] == sequence else {
                        outcome.late += 1
                        continue
                    }
                    completedSentAt.append(slots.sentAt[slot])
                    slots.active[slot] = false
                    slots.activeCount -= 1
                    queue(slot, &slots, &outgoing, &outcome, now: now)
                }
                conn.recycle(&incoming)
                if !completedSentAt.isEmpty { recorder.record(shard: shard, completedAt: now, sentAt: completedSentAt) }
                try await send(&outgoing)
            }
        } catch {
            outcome.error = "\(error)"
        }
        return outcome
    }

    /// Queues a new datagram in `slot` unless the sending time is over.
    private func queue(_ slot: Int, _ slots: inout Slots, _ outgoing: inout [Datagram], _ outcome: inout Outcome, now: UInt64) {
        guard now < plan.stopSending else { return }
        let sequence = slots.nextSequence
        slots.nextSequence += 1
        slots.sequence[slot] = sequence
        slots.sentAt[slot] = now
        slots.active[slot] = true
        slots.activeCount += 1
        if now >= plan.measureFrom { outcome.sent += 1 }
        var data = conn.reactor.bufferPool.acquire(minimumCapacity: plan.size)
        let size = plan.size
        _ = data.withUnsafeMutableWritableBytes { space in
            space.storeBytes(of: UInt64(slot).littleEndian, toByteOffset: 0, as: UInt64.self)
            space.storeBytes(of: sequence.littleEndian, toByteOffset: 8, as: UInt64.self)
            stream.fill(UnsafeMutableRawBufferPointer(rebasing: space[UDPLoadClient.headerSize..<size]), from: offset(of: sequence))
            return size
        }
        outgoing.append(Datagram(data: data))
    }

    /// Where in the flow's pattern stream the payload of datagram `sequence` starts.
    private func offset(of sequence: UInt64) -> UInt64 {
        sequence &* UInt64(plan.size - UDPLoadClient.headerSize)
    }

    /// Sends what is queued (in batches of `--batch`) and empties the queue.
    private func send(_ outgoing: inout [Datagram]) async throws {
        if plan.batch == 1 {
            for datagram in outgoing { try await conn.write(datagram.data) }
        } else {
            var start = 0
            while start < outgoing.count {
                let end = min(start + plan.batch, outgoing.count)
                try await conn.write(contentsOf: start == 0 && end == outgoing.count ? outgoing : Array(outgoing[start..<end]))
                start = end
            }
        }
        conn.recycle(&outgoing)
    }

    /// Counts the slots whose datagram is older than the loss timeout as lost and refills them.
    private func expire(_ slots: inout Slots, _ outgoing: inout [Datagram], _ outcome: inout Outcome) {
        let now = Deadline.now.nanoseconds
        for slot in slots.active.indices where slots.active[slot] && slots.sentAt[slot] &+ plan.lossTimeout <= now {
            if slots.sentAt[slot] >= plan.measureFrom { outcome.lost += 1 }
            slots.active[slot] = false
            slots.activeCount -= 1
            queue(slot, &slots, &outgoing, &outcome, now: now)
        }
    }

    /// The slot and sequence of an echo whose length, header and bytes are right; nil (and a
    /// mismatch counted) otherwise.
    private func check(_ datagram: Datagram, _ outcome: inout Outcome) -> (Int, UInt64)? {
        let size = plan.size
        let parsed = datagram.data.withUnsafeReadableBytes { bytes -> (Int, UInt64)? in
            guard bytes.count == size else { return nil }
            let slot = Int(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)))
            let sequence = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            guard slot < plan.pipeline,
                  stream.matches(UnsafeRawBufferPointer(rebasing: bytes[UDPLoadClient.headerSize...]), at: offset(of: sequence))
            else { return nil }
            return (slot, sequence)
        }
        if parsed == nil {
            outcome.mismatches += 1
            if outcome.firstMismatch == nil {
                outcome.firstMismatch = "echoed datagram differs from the one sent (\(datagram.data.readableBytes) bytes, \(size) sent)"
            }
        }
        return parsed
    }
}
