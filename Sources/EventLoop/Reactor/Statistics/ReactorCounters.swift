import Synchronization

/// A reactor's activity counters. Each is written only by the reactor thread, as a relaxed
/// load and store (a plain add, no locked instruction), and read by any thread with a relaxed
/// load: every counter is exact and never goes backwards, but a snapshot of several is not
/// taken at one instant (see ``ReactorStatistics``).
final class ReactorCounters: Sendable {
    /// Readiness events delivered to handlers.
    let events = Atomic<UInt64>(0)
    /// Jobs (task slices) and closures run.
    let tasks = Atomic<UInt64>(0)
    /// Timers fired.
    let timersFired = Atomic<UInt64>(0)
    /// Timers pending in the wheel, as of the last loop pass.
    let timersArmed = Atomic<Int>(0)
    /// Callbacks that ran past the stall threshold.
    let stalls = Atomic<UInt64>(0)
}

extension Atomic where Value == UInt64 {
    /// Adds `amount` from the only thread that writes this value: a relaxed load and store.
    @inline(__always)
    func addFromOwner(_ amount: UInt64) {
        store(load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }
}
