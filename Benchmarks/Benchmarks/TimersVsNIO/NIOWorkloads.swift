// SwiftNIO 2.101's timers, the same workloads as the wheel's. The main peer is a real
// `MultiThreadedEventLoopGroup` loop, called from inside the loop (`submit`/`execute`) as a
// channel handler would: `scheduleTask(deadline:_:)` (a promise, the task closures and a
// binary-heap entry; `Scheduled.cancel()` finds the entry with a linear scan of the heap's
// array, `removeFirst(where:)`, then repairs the heap) and `scheduleCallback(at:handler:)`
// (the lighter API: no promise, a handler object). `EmbeddedEventLoop` runs the same heap
// without locks, as a second reference.

import Glibc
import NIOCore
import NIOEmbedded
import NIOPosix

/// The NIO loop the benchmarks reuse, alive for the whole process.
let nioLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()

/// The embedded loop the benchmarks reuse while they run on the thread that created it
/// (an `EmbeddedEventLoop` may only be used from that thread).
// @unchecked Sendable: the benchmark closures use it one at a time, never concurrently.
final class EmbeddedFixture: @unchecked Sendable {
    private var loop: EmbeddedEventLoop?
    private var thread = pthread_self()

    var current: EmbeddedEventLoop {
        if let loop, pthread_equal(thread, pthread_self()) != 0 { return loop }
        let created = EmbeddedEventLoop()
        (loop, thread) = (created, pthread_self())
        return created
    }
}

let embeddedFixture = EmbeddedFixture()

/// A handler for `scheduleCallback`, shared by all callbacks (as the wheel's target is).
final class CountingCallbackHandler: NIOScheduledCallbackHandler, Sendable {
    func handleScheduledCallback(eventLoop: some EventLoop) { firedTimers.add(1, ordering: .relaxed) }
}

/// Arms with `scheduleTask(deadline:_:)` on the loop, then cancels in arming order.
func nioArmThenCancel(_ loop: any EventLoop, offsets: [UInt64]) async throws -> ArmCancelResult {
    try await loop.submit {
        let placeholder = loop.scheduleTask(deadline: .distantFuture) {}
        placeholder.cancel()
        var scheduled = [Scheduled<Void>](repeating: placeholder, count: offsets.count)
        let now = NIODeadline.now().uptimeNanoseconds
        var result = ArmCancelResult()
        let heapBefore = heapBytesInUse()
        let start = threadCPUNanoseconds()
        for (index, offset) in offsets.enumerated() {
            scheduled[index] = loop.scheduleTask(deadline: .uptimeNanoseconds(now + offset)) { firedTimers.add(1, ordering: .relaxed) }
        }
        let armed = threadCPUNanoseconds()
        result.heapBytes = heapBytesInUse() - heapBefore
        for task in scheduled { task.cancel() }
        result.cancelNanoseconds = threadCPUNanoseconds() - armed
        result.armNanoseconds = armed - start
        return result
    }.get()
}

/// Arms with `scheduleCallback(at:handler:)` on the loop, then cancels in arming order.
func nioCallbackArmThenCancel(_ loop: any EventLoop, offsets: [UInt64]) async throws -> ArmCancelResult {
    try await loop.submit {
        let handler = CountingCallbackHandler()
        let placeholder = try loop.scheduleCallback(at: .distantFuture, handler: handler)
        placeholder.cancel()
        var callbacks = [NIOScheduledCallback](repeating: placeholder, count: offsets.count)
        let now = NIODeadline.now().uptimeNanoseconds
        var result = ArmCancelResult()
        let heapBefore = heapBytesInUse()
        let start = threadCPUNanoseconds()
        for (index, offset) in offsets.enumerated() {
            callbacks[index] = try loop.scheduleCallback(at: .uptimeNanoseconds(now + offset), handler: handler)
        }
        let armed = threadCPUNanoseconds()
        result.heapBytes = heapBytesInUse() - heapBefore
        for callback in callbacks { callback.cancel() }
        result.cancelNanoseconds = threadCPUNanoseconds() - armed
        result.armNanoseconds = armed - start
        return result
    }.get()
}

/// The same on an `EmbeddedEventLoop` (the calling thread is its thread).
func embeddedArmThenCancel(offsets: [UInt64]) -> ArmCancelResult {
    let loop = embeddedFixture.current
    let now = loop.now.uptimeNanoseconds
    let placeholder = loop.scheduleTask(deadline: .distantFuture) {}
    placeholder.cancel()
    var scheduled = [Scheduled<Void>](repeating: placeholder, count: offsets.count)
    var result = ArmCancelResult()
    let heapBefore = heapBytesInUse()
    let start = threadCPUNanoseconds()
    for (index, offset) in offsets.enumerated() {
        scheduled[index] = loop.scheduleTask(deadline: .uptimeNanoseconds(now + offset)) { firedTimers.add(1, ordering: .relaxed) }
    }
    let armed = threadCPUNanoseconds()
    result.heapBytes = heapBytesInUse() - heapBefore
    for task in scheduled { task.cancel() }
    result.cancelNanoseconds = threadCPUNanoseconds() - armed
    result.armNanoseconds = armed - start
    return result
}

/// Keeps `churnWindow` tasks scheduled on the loop; each step cancels a random one and
/// schedules a new one.
func nioChurn(_ loop: any EventLoop, steps: [(slot: Int, offset: UInt64)]) async throws -> UInt64 {
    let slots = steps.map(\.slot), offsets = steps.map(\.offset)
    return try await loop.submit {
        let now = NIODeadline.now().uptimeNanoseconds
        var scheduled = (0..<churnWindow).map { index in
            loop.scheduleTask(deadline: .uptimeNanoseconds(now + 30_000_000_000 + UInt64(index) * 1_000_000)) {}
        }
        let start = threadCPUNanoseconds()
        for (slot, offset) in zip(slots, offsets) {
            scheduled[slot].cancel()
            scheduled[slot] = loop.scheduleTask(deadline: .uptimeNanoseconds(now + offset)) { firedTimers.add(1, ordering: .relaxed) }
        }
        let elapsed = threadCPUNanoseconds() - start
        for task in scheduled { task.cancel() }
        return elapsed
    }.get()
}

/// Arms on an `EmbeddedEventLoop` (untimed), then advances its time past all (timed).
func embeddedFire(offsets: [UInt64]) -> FireResult {
    firedTimers.store(0, ordering: .relaxed)
    let loop = embeddedFixture.current
    let now = loop.now.uptimeNanoseconds
    for offset in offsets {
        loop.scheduleTask(deadline: .uptimeNanoseconds(now + offset)) { firedTimers.add(1, ordering: .relaxed) }
    }
    let start = threadCPUNanoseconds()
    loop.advanceTime(by: .seconds(11))
    let elapsed = threadCPUNanoseconds() - start
    let fired = firedTimers.load(ordering: .relaxed)
    precondition(fired == offsets.count, "fired \(fired) of \(offsets.count)")
    return FireResult(fireNanoseconds: elapsed, fired: fired)
}

/// As `reactorFireRealTime`, on the NIO loop: the loop thread's CPU time from the end of
/// arming until a task due after all the others ran.
func nioFireRealTime(_ loop: any EventLoop, offsets: [UInt64], margin: UInt64) async -> FireResult {
    firedTimers.store(0, ordering: .relaxed)
    return await withCheckedContinuation { (continuation: CheckedContinuation<FireResult, Never>) in
        loop.execute {
            let base = NIODeadline.now().uptimeNanoseconds + margin
            var last: UInt64 = 0
            for offset in offsets {
                last = max(last, offset)
                loop.scheduleTask(deadline: .uptimeNanoseconds(base + offset)) { firedTimers.add(1, ordering: .relaxed) }
            }
            let cpuAtArmed = threadCPUNanoseconds()
            loop.scheduleTask(deadline: .uptimeNanoseconds(base + last + 2 * tickNanoseconds)) {
                let cpu = threadCPUNanoseconds() - cpuAtArmed
                continuation.resume(returning: FireResult(fireNanoseconds: cpu, fired: firedTimers.load(ordering: .relaxed)))
            }
        }
    }
}
