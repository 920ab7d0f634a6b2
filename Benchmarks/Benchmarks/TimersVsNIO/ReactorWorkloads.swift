// EventLoop's public scheduling API, the way a user arms a timer: `Reactor.schedule(at:_:)`
// returns a `ScheduledTimer`, whose `cancel()` disarms it. Everything runs on the reactor
// thread (inside `Reactor.submit`), as timers armed by connection code do.

/// The reactor the benchmarks reuse (system clock), alive for the whole process.
let benchReactor = try! ReactorGroup(count: 1, name: "bench-timers").reactors[0]

/// A reactor driven by a `ManualClock`, for firing in virtual time.
let manualClock = ManualClock()
let manualReactor = try! ReactorGroup(count: 1, name: "bench-timers-manual", clock: manualClock).reactors[0]

import EventLoop
import EventLoopTesting

/// Arms `offsets.count` timers with `Reactor.schedule(at:_:)`, then cancels them in arming order.
func reactorArmThenCancel(_ reactor: Reactor, offsets: [UInt64]) async throws -> ArmCancelResult {
    try await reactor.submit {
        let placeholder = reactor.schedule(at: .distantFuture) {}
        placeholder.cancel()
        var timers = [ScheduledTimer](repeating: placeholder, count: offsets.count)
        let now = reactor.now.nanoseconds
        var result = ArmCancelResult()
        let heapBefore = heapBytesInUse()
        let start = threadCPUNanoseconds()
        for (index, offset) in offsets.enumerated() {
            timers[index] = reactor.schedule(at: Deadline(nanoseconds: now + offset)) { firedTimers.add(1, ordering: .relaxed) }
        }
        let armed = threadCPUNanoseconds()
        result.heapBytes = heapBytesInUse() - heapBefore
        for timer in timers { timer.cancel() }
        result.cancelNanoseconds = threadCPUNanoseconds() - armed
        result.armNanoseconds = armed - start
        return result
    }
}

/// Keeps `churnWindow` timers armed; each step cancels a random one and arms a new one.
func reactorChurn(_ reactor: Reactor, steps: [(slot: Int, offset: UInt64)]) async throws -> UInt64 {
    let slots = steps.map(\.slot), offsets = steps.map(\.offset)
    return try await reactor.submit {
        let now = reactor.now.nanoseconds
        var timers = (0..<churnWindow).map { index in
            reactor.schedule(at: Deadline(nanoseconds: now + 30_000_000_000 + UInt64(index) * 1_000_000)) {}
        }
        let start = threadCPUNanoseconds()
        for (slot, offset) in zip(slots, offsets) {
            timers[slot].cancel()
            timers[slot] = reactor.schedule(at: Deadline(nanoseconds: now + offset)) { firedTimers.add(1, ordering: .relaxed) }
        }
        let elapsed = threadCPUNanoseconds() - start
        for timer in timers { timer.cancel() }
        return elapsed
    }
}

/// Arms `offsets.count` timers on a reactor driven by a `ManualClock` (untimed), then moves the
/// clock past all of them (timed: the reactor thread's CPU time across the advance, which
/// returns once the reactor has fired every one).
func reactorFireVirtual(_ reactor: Reactor, clock: ManualClock, offsets: [UInt64]) async throws -> FireResult {
    firedTimers.store(0, ordering: .relaxed)
    try await reactor.submit {
        let now = clock.now.nanoseconds
        for offset in offsets {
            reactor.schedule(at: Deadline(nanoseconds: now + offset)) { firedTimers.add(1, ordering: .relaxed) }
        }
    }
    let start = try await reactor.submit { threadCPUNanoseconds() }
    await clock.advance(by: .seconds(11))
    let elapsed = try await reactor.submit { threadCPUNanoseconds() } - start
    let fired = firedTimers.load(ordering: .relaxed)
    precondition(fired == offsets.count, "fired \(fired) of \(offsets.count)")
    return FireResult(fireNanoseconds: elapsed, fired: fired)
}

/// Arms `offsets.count` timers due `margin` to `margin` + 1 s from now on a reactor with the
/// system clock, plus a last one just after them; returns the reactor thread's CPU time from
/// the end of arming until that last one ran (the firing, and the loop's idle wake-ups).
func reactorFireRealTime(_ reactor: Reactor, offsets: [UInt64], margin: UInt64) async -> FireResult {
    firedTimers.store(0, ordering: .relaxed)
    return await withCheckedContinuation { (continuation: CheckedContinuation<FireResult, Never>) in
        reactor.execute {
            let base = reactor.now.nanoseconds + margin
            var last: UInt64 = 0
            for offset in offsets {
                last = max(last, offset)
                reactor.schedule(at: Deadline(nanoseconds: base + offset)) { firedTimers.add(1, ordering: .relaxed) }
            }
            let cpuAtArmed = threadCPUNanoseconds()
            reactor.schedule(at: Deadline(nanoseconds: base + last + 2 * tickNanoseconds)) {
                let cpu = threadCPUNanoseconds() - cpuAtArmed
                continuation.resume(returning: FireResult(fireNanoseconds: cpu, fired: firedTimers.load(ordering: .relaxed)))
            }
        }
    }
}
