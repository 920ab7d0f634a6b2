@testable import EventLoop
import EventLoopTesting
import Synchronization
import Testing

/// `ScheduledTimer.cancel()` from another thread racing the arming on the timer's reactor: a
/// cancelled timer never stays armed, whichever lands first, and its body never runs.
@Suite struct ScheduledTimerRaceTests {
    /// Reactor 1 schedules batches of far timers on reactor 0 (each arming crosses to reactor
    /// 0's thread) and cancels each right away, so reactor 0 arms while reactor 1 cancels: over
    /// many timers some cancels land between the arming's check and its store of the handle.
    /// Every timer must be gone from reactor 0's wheel at the end.
    @Test func cancelRacingTheArmingFromAnotherThreadNeverLeavesTheTimerArmed() async throws {
        try await withReactorGroup(reactors: 2, timeout: 120) { group in
            let arming = group.reactors[0]
            let cancelling = group.reactors[1]
            let ran = Atomic<Int>(0)
            let before = try await arming.submit { arming.wheel.count }
            for _ in 0..<200 {
                try await cancelling.submit {
                    var timers: [ScheduledTimer] = []
                    timers.reserveCapacity(100)
                    for _ in 0..<100 {
                        timers.append(arming.schedule(after: .seconds(3_600)) { ran.add(1, ordering: .relaxed) })
                    }
                    for timer in timers { timer.cancel() }
                }
            }
            // Every arming and every cancel posted to reactor 0 so far runs before this.
            let left = try await arming.submit { arming.wheel.count }
            #expect(left == before, "timers left armed after cancel()")
            #expect(ran.load(ordering: .relaxed) == 0)
        }
    }

    /// A timer scheduled from another thread and cancelled twice (idempotent): gone from the
    /// wheel, and not refused.
    @Test func cancelIsIdempotentAndLeavesNoRefusal() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let arming = group.reactors[0]
            let timer = try await group.reactors[1].submit { arming.schedule(after: .seconds(3_600)) {} }
            timer.cancel()
            timer.cancel()
            #expect(timer.refusal == nil)
            let left = try await arming.submit { arming.wheel.count }
            #expect(left == 0)
        }
    }
}
