@testable import EventLoop
import Dispatch
import EventLoopTesting
import Glibc
import Synchronization
import Testing

/// Submissions from other threads never lose their wake-up: several threads submit, one item
/// at a time each, so the reactor keeps going back to sleep between items and the submissions
/// race with its clearing of the pending-wake flag. Every item must run within a bound.
@Suite struct CrossThreadWakeupTests {
    static let producers = 4
    static let itemsPerProducer = 5_000
    static let rounds = 20_000
    /// Generous: an item normally runs within microseconds; a lost wake-up never runs it.
    static let boundNanoseconds: UInt64 = 30_000_000_000

    /// Producer threads call `execute` in rounds: each submits one item, then waits (spinning,
    /// bounded) until every producer's item of the round has run. The submissions of a round
    /// race with the reactor waking for the first of them and clearing its pending-wake flag;
    /// no later submission can rescue an item whose wake-up was lost, so a loss fails the round.
    @Test func executeFromSeveralThreadsNeverLosesAWakeup() async throws {
        let group = try ReactorGroup(count: 1, name: "wake")
        let reactor = group.reactors[0]
        let ran = (0..<Self.producers).map { _ in Counter() }
        let late = Counter()
        let outcome = try await withTimeout(120) {
            await withCheckedContinuation { (continuation: CheckedContinuation<(late: Int, wakeups: UInt64), Never>) in
                DispatchQueue(label: "wake-producers").async {
                    let before = reactor.wakeups
                    // One thread each (a Dispatch pool may run fewer at once than there are producers).
                    let threads = (0..<Self.producers).map { producer in
                        ReactorThread(name: "producer-\(producer)") {
                            let counter = ran[producer]
                            for round in 1...Self.rounds {
                                reactor.execute { counter.store(round) }
                                if !Self.waitBounded({ ran.allSatisfy { $0.value >= round } }) {
                                    late.store(round)
                                    return
                                }
                            }
                        }
                    }
                    threads.forEach { $0.join() }
                    continuation.resume(returning: (late.value, reactor.wakeups - before))
                }
            }
        }
        #expect(outcome.late == 0, "round \(outcome.late): an item did not run within 5 s (a lost wake-up)")
        for counter in ran { #expect(counter.value == Self.rounds) }
        // The reactor really went to sleep between rounds.
        #expect(outcome.wakeups > UInt64(Self.rounds / 2))
        try await LeakCheck.expectNoLeaks(group)
    }

    /// Tasks off the reactor call `submit` in a loop while threads call `execute`.
    @Test func submitFromTasksAndThreadsTogether() async throws {
        let group = try ReactorGroup(count: 1, name: "wake")
        let reactor = group.reactors[0]
        try await withTimeout(120) {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for _ in 0..<Self.producers {
                    tasks.addTask {
                        for item in 0..<2_000 {
                            let start = Syscall.monotonicNanoseconds()
                            let echoed = try await reactor.submit { item }
                            #expect(echoed == item)
                            #expect(Syscall.monotonicNanoseconds() - start < Self.boundNanoseconds)
                        }
                    }
                }
                tasks.addTask {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        DispatchQueue(label: "wake-thread").async {
                            let counter = Counter()
                            for item in 1...Self.itemsPerProducer {
                                reactor.execute { counter.store(item) }
                                if !Self.waitBounded({ counter.value == item }) { break }
                            }
                            #expect(counter.value == Self.itemsPerProducer)
                            continuation.resume()
                        }
                    }
                }
                try await tasks.waitForAll()
            }
        }
        try await LeakCheck.expectNoLeaks(group)
    }

    /// Spins (yielding the CPU) until `condition` holds or the bound passes; false on timeout.
    static func waitBounded(_ condition: () -> Bool) -> Bool {
        let deadline = Syscall.monotonicNanoseconds() + boundNanoseconds
        while !condition() {
            if Syscall.monotonicNanoseconds() > deadline { return false }
            sched_yield()
        }
        return true
    }

    final class Counter: Sendable {
        private let count = Atomic<Int>(0)
        var value: Int { count.load(ordering: .acquiring) }
        func store(_ value: Int) { count.store(value, ordering: .releasing) }
    }
}
