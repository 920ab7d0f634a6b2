@testable import EventLoop
import EventLoopTesting
import Synchronization
import Testing

/// Deadlines beyond the timing wheel's six levels (64⁶ ticks, about 2.2 years at 1 ms) and up to
/// the end of the tick range: they wait in the wheel's overflow list, cost no wake-up, never
/// fire early and stay cancellable.
@Suite struct FarDeadlineTests {
    typealias Wheel = TimingWheel<Int>
    static let levelsRange = UInt64(1) << 36  // 64⁶

    static func fire(_ wheel: inout Wheel, to tick: UInt64) -> [Int] {
        var fired: [Int] = []
        wheel.advance(to: tick) { fired.append($0) }
        return fired
    }

    @Test func ticksNearTheEndOfTheRangeFireOnTimeWithoutOverflow() {
        let start = UInt64.max - 200
        var wheel = Wheel(startTick: start)
        _ = wheel.schedule(at: start + 10, 1)
        _ = wheel.schedule(at: UInt64.max - 70, 2)
        _ = wheel.schedule(at: UInt64.max - 1, 3)
        #expect(wheel.nextExpiry() == start + 10)
        #expect(Self.fire(&wheel, to: start + 9).isEmpty)
        #expect(Self.fire(&wheel, to: start + 10) == [1])
        #expect(Self.fire(&wheel, to: UInt64.max - 71).isEmpty)
        #expect(Self.fire(&wheel, to: UInt64.max - 70) == [2])
        #expect(Self.fire(&wheel, to: UInt64.max - 2).isEmpty)
        #expect(Self.fire(&wheel, to: UInt64.max - 1) == [3])
        #expect(wheel.isEmpty)
    }

    @Test func theLastTickNeverComesAndTheWheelStaysUsableAfterAdvancingToIt() {
        var wheel = Wheel(startTick: UInt64.max - 5)
        let never = wheel.schedule(at: .max, 1)
        #expect(Self.fire(&wheel, to: .max).isEmpty, "tick UInt64.max means never")
        // Scheduling after the wheel has processed every tick it can must not overflow: such
        // a timer is due at the next tick, which is the last one and never comes.
        let late = wheel.schedule(at: 3, 2)
        #expect(wheel.nextExpiry() == .max)
        #expect(Self.fire(&wheel, to: .max).isEmpty)
        #expect(wheel.cancel(late) == 2)
        #expect(wheel.cancel(never) == 1)
        #expect(wheel.isEmpty)
    }

    @Test(arguments: [levelsRange, levelsRange + 1, levelsRange * 5 + 12_345, UInt64(1) << 50, UInt64.max / 3])
    func beyondTheLevelsWaitsInTheOverflowAndFiresOnTime(offset: UInt64) {
        let start: UInt64 = 1_000
        var wheel = Wheel(startTick: start)
        let far = start + offset
        _ = wheel.schedule(at: far, 7)
        _ = wheel.schedule(at: far + 1, 8)
        _ = wheel.schedule(at: start + 100, 1)
        #expect(wheel.nextExpiry() == start + 100)
        #expect(Self.fire(&wheel, to: start + 100) == [1])
        #expect(wheel.nextExpiry() == far)
        // Big jumps and small steps: never early, exactly on time.
        #expect(Self.fire(&wheel, to: far - Self.levelsRange).isEmpty)
        #expect(Self.fire(&wheel, to: far - 64).isEmpty)
        #expect(Self.fire(&wheel, to: far - 1).isEmpty)
        #expect(wheel.nextExpiry() == far)
        #expect(Self.fire(&wheel, to: far) == [7])
        #expect(Self.fire(&wheel, to: far + 1) == [8])
        #expect(wheel.isEmpty)
    }

    @Test func overflowTimersCancelAndNextExpiryStaysExact() {
        var wheel = Wheel()
        let first = wheel.schedule(at: Self.levelsRange * 10, 1)
        let second = wheel.schedule(at: Self.levelsRange * 20, 2)
        let never = wheel.schedule(at: .max, 3)
        #expect(wheel.nextExpiry() == Self.levelsRange * 10)
        #expect(wheel.cancel(first) == 1)
        #expect(wheel.nextExpiry() == Self.levelsRange * 20)
        #expect(wheel.cancel(second) == 2)
        #expect(wheel.nextExpiry() == .max)
        #expect(Self.fire(&wheel, to: Self.levelsRange * 30).isEmpty)
        #expect(wheel.cancel(never) == 3)
        #expect(wheel.cancel(never) == nil)
        #expect(wheel.nextExpiry() == nil)
        #expect(wheel.isEmpty)
    }

    @Test func removeAllEmptiesEveryLevelAndTheOverflow() {
        var wheel = Wheel(startTick: 50)
        for (id, expiry) in [UInt64(51), 5_000, 300_000, Self.levelsRange * 3, .max].enumerated() {
            _ = wheel.schedule(at: expiry, id)
        }
        var removed: [Int] = []
        wheel.removeAll { removed.append($0) }
        #expect(removed.sorted() == [0, 1, 2, 3, 4])
        #expect(wheel.isEmpty)
        #expect(wheel.nextExpiry() == nil)
        _ = wheel.schedule(at: 60, 9)
        #expect(Self.fire(&wheel, to: 60) == [9])
    }

    // MARK: on a reactor

    enum FarDeadline: CaseIterable, Sendable { case distantFuture, lastNanosecond, billionSeconds }

    /// A sleep and a timer at `Deadline.distantFuture`, the last nanosecond or a billion seconds
    /// away cost no wake-up over an observation window, and cancel cleanly.
    @Test(arguments: [Duration.milliseconds(1), .nanoseconds(1)], FarDeadline.allCases)
    func farSleepsAndTimersCostNoWakeups(tick: Duration, far: FarDeadline) async throws {
        let group = try ReactorGroup(count: 1, name: "far", tick: tick)
        let reactor = group.reactors[0]
        do {
            try await withTimeout(30) {
                let deadline = switch far {
                case .distantFuture: Deadline.distantFuture
                case .lastNanosecond: Deadline(nanoseconds: .max - 1)
                case .billionSeconds: reactor.now + .seconds(1_000_000_000)
                }
                let sleeper = Task { try await reactor.sleep(until: deadline) }
                let timer = reactor.schedule(at: deadline) {}
                // Wait until both are in the wheel.
                try await waitUntil { try await reactor.submit { reactor.wheel.count } == 2 }
                let before = reactor.wakeups
                try await Task.sleep(for: .milliseconds(500))  // an observation window, not a sync
                #expect(reactor.wakeups - before <= 1, "a far timer must not wake the reactor")
                sleeper.cancel()
                await #expect(throws: CancellationError.self) { try await sleeper.value }
                timer.cancel()
                try await waitUntil { try await reactor.submit { reactor.wheel.count } == 0 }
            }
        } catch {
            await group.shutdown()
            throw error
        }
        try await LeakCheck.expectNoLeaks(group)
    }
}
