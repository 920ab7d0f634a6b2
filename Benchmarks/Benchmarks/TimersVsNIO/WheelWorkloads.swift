// The timing wheel itself (Sources/EventLoop/Timers/TimingWheel.swift, compiled into this
// benchmark through a symbolic link, since the type is internal to EventLoop), with the payload
// the reactor stores for a connection deadline: an object reference and a tag, no closure.

/// Mirrors EventLoop's `TimerTarget`: the object a deadline calls back.
protocol BenchTimerTarget: AnyObject {
    func timerFired(_ tag: UInt8)
}

/// Mirrors EventLoop's `TimerAction`, the wheel's payload in the reactor (same layout).
enum BenchTimerAction {
    case closure(() -> Void)
    case target(any BenchTimerTarget, UInt8)
}

/// Stands in for a connection whose deadline fires.
final class CountingTarget: BenchTimerTarget {
    var fired = 0
    func timerFired(_ tag: UInt8) { fired &+= 1 }
}

/// The wheel the "wheel alone" benchmarks reuse, with its handle buffer.
// @unchecked Sendable: used by one benchmark closure at a time (package-benchmark runs them
// one after another), never concurrently.
final class WheelFixture: @unchecked Sendable {
    var wheel = TimingWheel<BenchTimerAction>(startTick: 0)
    var handles = [TimingWheel<BenchTimerAction>.Handle](repeating: .init(index: 0, generation: 0), count: deadlineCount)
    let target = CountingTarget()
}

let wheelFixture = WheelFixture()

/// Arms `deadlineCount` connection deadlines on the wheel, then cancels them in arming order.
/// The first call grows the wheel's node array (the warm-up iteration), later ones reuse it.
@inline(never)
func wheelArmThenCancel(offsets: [UInt64]) -> ArmCancelResult {
    let fixture = wheelFixture
    let target = fixture.target
    let base = fixture.wheel.processedThrough
    var result = ArmCancelResult()
    let heapBefore = heapBytesInUse()
    let start = threadCPUNanoseconds()
    for (index, offset) in offsets.enumerated() {
        fixture.handles[index] = fixture.wheel.schedule(at: base + (offset + tickNanoseconds - 1) / tickNanoseconds, .target(target, 1))
    }
    let armed = threadCPUNanoseconds()
    result.heapBytes = heapBytesInUse() - heapBefore
    for handle in fixture.handles { fixture.wheel.cancel(handle) }
    result.cancelNanoseconds = threadCPUNanoseconds() - armed
    result.armNanoseconds = armed - start
    precondition(fixture.wheel.isEmpty)
    return result
}

/// Bytes the wheel holds per node it has ever needed (the node array's capacity, and the free
/// list's once the nodes are free), from the first arming of `deadlineCount` deadlines on a
/// new wheel: what an armed deadline costs at the high-water mark.
@inline(never)
func wheelHeapPerDeadline(offsets: [UInt64]) -> ArmCancelResult {
    let target = CountingTarget()
    var wheel = TimingWheel<BenchTimerAction>(startTick: 0)
    var handles = [TimingWheel<BenchTimerAction>.Handle]()
    handles.reserveCapacity(offsets.count)
    let heapReserved = heapBytesInUse()
    let start = threadCPUNanoseconds()
    for offset in offsets {
        handles.append(wheel.schedule(at: (offset + tickNanoseconds - 1) / tickNanoseconds, .target(target, 1)))
    }
    let armed = threadCPUNanoseconds()
    var result = ArmCancelResult(armNanoseconds: armed - start)
    result.heapBytes = heapBytesInUse() - heapReserved
    for handle in handles { wheel.cancel(handle) }
    result.cancelNanoseconds = threadCPUNanoseconds() - armed
    return result
}

/// Keeps `churnWindow` deadlines armed; each step cancels a random one and arms a new one.
@inline(never)
func wheelChurn(steps: [(slot: Int, offset: UInt64)]) -> UInt64 {
    let fixture = wheelFixture
    let target = fixture.target
    let base = fixture.wheel.processedThrough
    var handles = (0..<churnWindow).map { fixture.wheel.schedule(at: base + 30_000 + UInt64($0), .target(target, 1)) }
    let start = threadCPUNanoseconds()
    for step in steps {
        fixture.wheel.cancel(handles[step.slot])
        handles[step.slot] = fixture.wheel.schedule(at: base + (step.offset + tickNanoseconds - 1) / tickNanoseconds, .target(target, 1))
    }
    let elapsed = threadCPUNanoseconds() - start
    for handle in handles { fixture.wheel.cancel(handle) }
    precondition(fixture.wheel.isEmpty)
    return elapsed
}

/// Arms `deadlineCount` deadlines spread over 10 s (untimed), then advances the wheel past all
/// of them (timed): cascades, slot walks and the target calls.
@inline(never)
func wheelFire(offsets: [UInt64]) -> FireResult {
    let fixture = wheelFixture
    let target = fixture.target
    target.fired = 0
    let base = fixture.wheel.processedThrough
    var last: UInt64 = 0
    for offset in offsets {
        let tick = base + (offset + tickNanoseconds - 1) / tickNanoseconds
        last = max(last, tick)
        _ = fixture.wheel.schedule(at: tick, .target(target, 1))
    }
    let start = threadCPUNanoseconds()
    fixture.wheel.advance(to: last) { action in
        switch action {
        case .closure(let body): body()
        case .target(let target, let tag): target.timerFired(tag)
        }
    }
    let elapsed = threadCPUNanoseconds() - start
    precondition(target.fired == offsets.count && fixture.wheel.isEmpty)
    return FireResult(fireNanoseconds: elapsed, fired: target.fired)
}
