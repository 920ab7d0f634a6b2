import Synchronization
import Testing
@testable import ProxyExample

@Suite struct StopGateTests {
    /// Each registered closure runs once at the stop, a cancelled one never, and nothing can
    /// register after the stop (the caller then gives up at once).
    @Test func wakesEachWaiterOnceAndRefusesLateOnes() {
        let gate = StopGate()
        let woken = Atomic<Int>(0)
        let cancelled = Atomic<Int>(0)
        #expect(!gate.isStopped)
        for _ in 0..<3 { #expect(gate.onStop { woken.add(1, ordering: .relaxed) } != nil) }
        let id = gate.onStop { cancelled.add(1, ordering: .relaxed) }
        gate.cancel(id!)
        gate.stop()
        gate.stop()
        #expect(gate.isStopped)
        #expect(woken.load(ordering: .relaxed) == 3)
        #expect(cancelled.load(ordering: .relaxed) == 0)
        #expect(gate.onStop { woken.add(1, ordering: .relaxed) } == nil)
        #expect(woken.load(ordering: .relaxed) == 3)
    }

    @Test func onceFlagIsClaimedOnce() {
        let flag = OnceFlag()
        #expect(flag.claim())
        #expect(!flag.claim())
    }
}
