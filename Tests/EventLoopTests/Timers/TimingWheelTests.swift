@testable import EventLoop
import Dispatch
import Testing

/// The timing wheel against a fake clock: ticks are advanced by hand.
@Suite struct TimingWheelTests {
    typealias Wheel = TimingWheel<Int>

    /// Advances to `tick` and returns what fired.
    static func fire(_ wheel: inout Wheel, to tick: UInt64) -> [Int] {
        var fired: [Int] = []
        wheel.advance(to: tick) { fired.append($0) }
        return fired
    }

    @Test func firesInExpiryOrderNeverEarly() {
        var wheel = Wheel()
        let expiries: [UInt64] = [5, 1, 63, 64, 65, 200, 4095, 4096, 4097, 3]
        for (index, expiry) in expiries.enumerated() { _ = wheel.schedule(at: expiry, index) }
        var fired: [(tick: UInt64, id: Int)] = []
        for tick in UInt64(1)...5000 {
            for id in Self.fire(&wheel, to: tick) { fired.append((tick, id)) }
        }
        #expect(fired.map(\.id) == expiries.enumerated().sorted { $0.element < $1.element }.map(\.offset))
        for (tick, id) in fired { #expect(tick == expiries[id], "timer \(id) due \(expiries[id]) fired at \(tick)") }
        #expect(wheel.isEmpty)
    }

    @Test(arguments: 1...6)
    func cascadesThroughEveryLevel(level: Int) {
        let span = UInt64(1) << (6 * UInt64(level))
        for expiry in [span - 1, span, span + 1, span * 3 + 17] {
            var wheel = Wheel(startTick: 10)
            _ = wheel.schedule(at: expiry + 10, 1)
            #expect(Self.fire(&wheel, to: expiry + 9).isEmpty, "fired early (expiry \(expiry))")
            #expect(Self.fire(&wheel, to: expiry + 10) == [1], "not fired on time (expiry \(expiry))")
        }
    }

    @Test func beyondTheTopLevelWaitsAndFiresOnTime() {
        let far = (UInt64(1) << 36) * 3 + 12_345  // past the six levels' range
        var wheel = Wheel()
        _ = wheel.schedule(at: far, 7)
        #expect(wheel.nextExpiry() == far)
        #expect(Self.fire(&wheel, to: far - 1).isEmpty)
        #expect(Self.fire(&wheel, to: far) == [7])
    }

    @Test func cancelInsideAFiringCallback() {
        var wheel = Wheel()
        var handles: [Wheel.Handle] = []
        for id in 0..<4 { handles.append(wheel.schedule(at: 10, id)) }
        var fired: [Int] = []
        while let id = wheel.popExpired(through: 10) {
            fired.append(id)
            if fired.count == 1 {
                // The first to fire cancels all the others due at the same tick, itself included.
                for handle in handles { wheel.cancel(handle) }
            }
        }
        #expect(fired.count == 1)
        #expect(wheel.isEmpty)
    }

    @Test func rescheduleFromACallback() {
        var wheel = Wheel()
        _ = wheel.schedule(at: 5, 0)
        var firedAt: [UInt64] = []
        for tick in UInt64(1)...100 {
            while let id = wheel.popExpired(through: tick) {
                firedAt.append(tick)
                if firedAt.count < 5 { _ = wheel.schedule(at: tick + 10, id) }
                // A timer scheduled for a tick already processed fires on the next one.
                if firedAt.count == 5 { _ = wheel.schedule(at: tick, id) }
            }
        }
        #expect(firedAt == [5, 15, 25, 35, 45, 46])
    }

    @Test func cancelReturnsPayloadOnceAndStaleHandlesAreHarmless() {
        var wheel = Wheel()
        let handle = wheel.schedule(at: 100, 1)
        #expect(wheel.cancel(handle) == 1)
        #expect(wheel.cancel(handle) == nil)
        let reused = wheel.schedule(at: 50, 2)  // takes the freed node
        #expect(wheel.cancel(handle) == nil, "a stale handle must not cancel the node's new timer")
        #expect(Self.fire(&wheel, to: 60) == [2])
        #expect(wheel.cancel(reused) == nil)
    }

    @Test func nextExpiryIsExactAtEveryLevel() {
        var wheel = Wheel()
        #expect(wheel.nextExpiry() == nil)
        let far = wheel.schedule(at: 1_000_000, 1)
        #expect(wheel.nextExpiry() == 1_000_000)
        _ = wheel.schedule(at: 70_000, 2)
        #expect(wheel.nextExpiry() == 70_000)
        let near = wheel.schedule(at: 30, 3)
        #expect(wheel.nextExpiry() == 30)
        wheel.cancel(near)
        #expect(wheel.nextExpiry() == 70_000)
        #expect(Self.fire(&wheel, to: 69_999).isEmpty)
        #expect(wheel.nextExpiry() == 70_000)
        #expect(Self.fire(&wheel, to: 70_000) == [2])
        #expect(wheel.nextExpiry() == 1_000_000)
        wheel.cancel(far)
        #expect(wheel.nextExpiry() == nil)
    }

    /// A million random schedule, cancel and advance operations against a plain reference model.
    /// CPU-bound for seconds, so it runs on a thread of its own, not on the shared task pool.
    @Test func millionRandomOperationsMatchAReferenceModel() async {
        let (mismatches, finalCheck) = await withCheckedContinuation { continuation in
            DispatchQueue(label: "wheel-model").async { continuation.resume(returning: Self.runRandomModel()) }
        }
        #expect(mismatches == 0)
        #expect(finalCheck)
    }

    /// The same near the end of the tick range, with timers far beyond the levels (in the
    /// overflow list) and big jumps of time that bring them onto the levels.
    @Test func randomOperationsNearTheEndOfTheTickRangeMatchTheModel() async {
        let (mismatches, finalCheck) = await withCheckedContinuation { continuation in
            DispatchQueue(label: "wheel-model-far").async {
                continuation.resume(returning: Self.runRandomModel(
                    start: UInt64.max - (1 << 52), ranges: [64, 4096, 1 << 36, 1 << 38, 1 << 44],
                    bigStep: 1 << 34, operations: 200_000))
            }
        }
        #expect(mismatches == 0)
        #expect(finalCheck)
    }

    static func runRandomModel(start: UInt64 = 0, ranges: [UInt64] = [64, 4096, 300_000, 20_000_000, 1 << 38],
                               bigStep: UInt64 = 100_000, operations: Int = 1_000_000) -> (mismatches: Int, finalCheck: Bool) {
        var generator = SplitMix64(seed: 0x5eed)
        var wheel = Wheel(startTick: start)
        var model: [Int: (expiry: UInt64, handle: Wheel.Handle)] = [:]
        var live: [Int] = []
        var nextID = 0
        var now: UInt64 = start
        var mismatches = 0
        for _ in 0..<operations {
            let roll = generator.next() % 100
            if roll < 50 {
                // Mostly near timers, some far ones across every level, some already due.
                let range = ranges[Int(generator.next() % UInt64(ranges.count))]
                let expiry = now &+ generator.next() % range &- (generator.next() % 8 == 0 ? min(now, 3) : 0)
                let handle = wheel.schedule(at: expiry, nextID)
                model[nextID] = (max(expiry, now + 1), handle)
                live.append(nextID)
                nextID += 1
            } else if roll < 80, !live.isEmpty {
                let position = Int(generator.next() % UInt64(live.count))
                live.swapAt(position, live.count - 1)
                let id = live.removeLast()
                if let entry = model.removeValue(forKey: id), wheel.cancel(entry.handle) != id { mismatches += 1 }
            } else {
                let step: UInt64 = generator.next() % 10 == 0 ? generator.next() % bigStep : generator.next() % 50
                now += step
                var fired: [Int] = []
                wheel.advance(to: now) { fired.append($0) }
                let due = model.filter { $0.value.expiry <= now }
                if Set(fired) != Set(due.keys) || fired.count != due.count { mismatches += 1 }
                let firedExpiries = fired.compactMap { model[$0]?.expiry }
                if firedExpiries != firedExpiries.sorted() { mismatches += 1 }
                for id in fired { model.removeValue(forKey: id) }
                if !fired.isEmpty { live.removeAll { model[$0] == nil } }
            }
            if wheel.count != model.count { mismatches += 1 }
        }
        return (mismatches, wheel.nextExpiry() == model.values.map(\.expiry).min())
    }
}

/// A small deterministic random generator (SplitMix64), so a failure reproduces.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
