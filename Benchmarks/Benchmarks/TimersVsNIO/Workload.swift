// What every timer workload shares: the sizes, the deadline patterns, the clocks and the
// heap probe. Both sides (EventLoop and SwiftNIO) get the same deadlines in the same order.

import CHeapProbe
import Glibc
import Synchronization

// The loops and the wheel live for the whole process and are reused by every iteration, so
// that the measured iterations (after package-benchmark's warm-up iteration) see warm
// structures, as a server's loop does: the wheel's node array and NIO's heap array keep their
// capacity, malloc's arenas hold the freed objects. The arrays that keep the handles are filled
// with a placeholder before the clock starts, so no side pays page faults for them.

/// Deadlines per benchmark iteration.
let deadlineCount = 1_000_000

/// Deadlines kept armed while the churn workload arms and cancels (connections with a deadline).
let churnWindow = 10_000

/// The reactor's wheel tick, as configured by default (1 ms).
let tickNanoseconds: UInt64 = 1_000_000

/// Counts fired timers: a global, so a timer body captures nothing (no closure context) on
/// either side.
let firedTimers = Atomic<Int>(0)

/// Deterministic pseudo-random numbers (SplitMix64), so both sides see the same sequence.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The offsets (from "now") of the deadlines the arm-and-cancel workloads use: a connection
/// timeout of 30 s taken one microsecond apart, i.e. the deadlines connections arm while
/// serving (increasing, the pattern most favourable to a heap's cancel, see NIOWorkloads).
func connectionTimeoutOffsets() -> [UInt64] {
    (0..<deadlineCount).map { 30_000_000_000 + UInt64($0) * 1_000 }
}

/// The offsets of the deadlines the firing workloads use: uniformly random over 10 s (10,000
/// ticks, so the wheel's timers start on three levels and cascade), in random order.
func spreadOffsets(over nanoseconds: UInt64 = 10_000_000_000) -> [UInt64] {
    var random = SplitMix64(seed: 42)
    return (0..<deadlineCount).map { _ in 1_000_000 + random.next() % nanoseconds }
}

/// For the churn workload: which armed slot to cancel at each step, and the new deadline's
/// offset (a 30 s timeout plus up to 1 s, so the deadlines interleave in the heap).
func churnSteps() -> [(slot: Int, offset: UInt64)] {
    var random = SplitMix64(seed: 7)
    return (0..<deadlineCount).map { _ in
        (Int(random.next() % UInt64(churnWindow)), 30_000_000_000 + random.next() % 1_000_000_000)
    }
}

/// CPU time of the calling thread in nanoseconds. Every phase is timed with it, on the thread
/// that owns the timers: on a shared machine, time the thread spends preempted is not counted.
func threadCPUNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// Bytes the process's malloc has handed out and not taken back (all arenas, mmapped blocks
/// included), as glibc's `mallinfo2` reports them: chunk sizes, so allocator overhead counts.
func heapBytesInUse() -> Int {
    Int(heap_probe_bytes_in_use())
}

/// What one arm-and-cancel run measured, on the thread that owns the timers.
struct ArmCancelResult: Sendable {
    var armNanoseconds: UInt64 = 0
    var cancelNanoseconds: UInt64 = 0
    /// Heap growth from arming `deadlineCount` deadlines (handle storage reserved before).
    var heapBytes: Int = 0
}

/// What one firing run measured.
struct FireResult: Sendable {
    var fireNanoseconds: UInt64 = 0
    var fired: Int = 0
}
