/// A hierarchical hashed timing wheel: O(1) schedule, O(1) cancel, no allocation per timer
/// once warmed up.
///
/// Time is counted in ticks; the owner converts its clock to ticks, so tests drive the wheel
/// with a fake clock. Six levels of 64 slots cover the next 64⁶ − 1 ticks (about 2.2 years at
/// 1 ms). A timer further out (up to `UInt64.max`, such as `Deadline.distantFuture`) waits in an
/// overflow list that costs nothing until its time comes within the levels' range: it is then
/// placed on the levels, in one pass over that list. A timer due at tick `e` fires when the
/// wheel is advanced to a tick ≥ `e`, never before; one scheduled for a tick already processed
/// fires at the next tick. The wheel processes ticks up to ``lastTick``: `UInt64.max` itself
/// never comes, and no arithmetic on ticks can overflow.
///
/// Timers live in a pool of nodes linked into per-slot doubly-linked lists by index, so
/// cancelling needs no search. Callbacks may schedule and cancel timers, themselves included,
/// while the wheel fires. Not thread-safe: the owning reactor uses it from its thread only.
struct TimingWheel<Payload> {
    static var levels: Int { 6 }
    static var slotBits: UInt64 { 6 }
    static var slotsPerLevel: Int { 64 }
    /// How far past the last processed tick the levels reach: 64⁶ − 1 ticks.
    static var levelsRange: UInt64 { (UInt64(1) << (UInt64(levels) * slotBits)) - 1 }
    /// The last tick the wheel ever processes; a timer due at `UInt64.max` never fires.
    static var lastTick: UInt64 { .max - 1 }
    private static var firingList: Int { levels * slotsPerLevel }
    /// Timers due further than ``levelsRange`` ahead, in no order.
    private static var overflowList: Int { levels * slotsPerLevel + 1 }
    private static var nowhere: Int32 { -1 }

    private struct Node {
        var expiry: UInt64 = 0
        var previous: Int32 = -1
        var next: Int32 = -1
        /// Index into `heads` while linked, `nowhere` while free.
        var list: Int32 = -1
        var generation: UInt32 = 0
        var payload: Payload?
    }

    /// Identifies one scheduled timer; stale once it fired or was cancelled.
    struct Handle: Hashable, Sendable {
        let index: Int32
        let generation: UInt32
    }

    private var nodes: [Node] = []
    private var freeNodes: [Int32] = []
    private var heads: [Int32]
    private var occupied: [UInt64]
    /// Every tick up to and including this one has been processed.
    private(set) var processedThrough: UInt64
    /// Timers scheduled and not yet fired or cancelled.
    private(set) var count = 0
    private var cachedNextExpiry: UInt64?
    private var nextExpiryValid = true
    /// While the overflow list is not empty: at most its earliest expiry (exact unless
    /// `overflowEarliestExact` is false after a cancel). Its timers are all due later than
    /// `processedThrough + levelsRange`.
    private var overflowEarliest: UInt64 = .max
    private var overflowEarliestExact = true

    init(startTick: UInt64 = 0) {
        heads = Array(repeating: TimingWheel.nowhere, count: TimingWheel.levels * TimingWheel.slotsPerLevel + 2)
        occupied = Array(repeating: 0, count: TimingWheel.levels)
        processedThrough = min(startTick, TimingWheel.lastTick)
    }

    var isEmpty: Bool { count == 0 }

    // MARK: schedule and cancel

    /// Schedules `payload` for tick `expiry` (any value: one beyond the levels' range waits in
    /// the overflow list, `UInt64.max` never comes). O(1).
    mutating func schedule(at expiry: UInt64, _ payload: Payload) -> Handle {
        let index: Int32
        if let free = freeNodes.popLast() {
            index = free
        } else {
            index = Int32(nodes.count)
            nodes.append(Node())
        }
        nodes[Int(index)].expiry = expiry
        nodes[Int(index)].payload = payload
        place(index, base: processedThrough, dueTick: processedThrough + 1)
        count += 1
        if nextExpiryValid, let cached = cachedNextExpiry {
            cachedNextExpiry = min(cached, max(expiry, processedThrough + 1))
        } else if nextExpiryValid {
            cachedNextExpiry = max(expiry, processedThrough + 1)
        }
        return Handle(index: index, generation: nodes[Int(index)].generation)
    }

    /// Cancels a pending timer and returns its payload; nil when it already fired or was
    /// cancelled. O(1).
    @discardableResult
    mutating func cancel(_ handle: Handle) -> Payload? {
        let index = Int(handle.index)
        guard index >= 0, index < nodes.count, nodes[index].generation == handle.generation,
              nodes[index].list != TimingWheel.nowhere else { return nil }
        if nodes[index].expiry <= (cachedNextExpiry ?? 0) { nextExpiryValid = false }
        if Int(nodes[index].list) == TimingWheel.overflowList && nodes[index].expiry <= overflowEarliest {
            overflowEarliestExact = false
        }
        unlink(handle.index)
        return release(handle.index)
    }

    // MARK: advancing

    /// Processes ticks up to `tick` until a due timer is found and returns its payload (the
    /// timer is gone by then); nil once every timer due by `tick` has been returned. Timers come
    /// in expiry order (those due at the same tick in no set order). The caller runs each
    /// payload before asking for the next, so a callback may schedule or cancel timers (a timer
    /// cancelled while due never comes). Ticks with nothing to do are skipped in O(levels).
    /// `tick` is clamped to ``lastTick``.
    mutating func popExpired(through tick: UInt64) -> Payload? {
        let tick = min(tick, TimingWheel.lastTick)
        while true {
            let firing = heads[TimingWheel.firingList]
            if firing != TimingWheel.nowhere {
                unlink(firing)
                return release(firing)
            }
            guard processedThrough < tick else { return nil }
            guard let next = nextEventTick(), next <= tick else {
                processedThrough = tick
                return nil
            }
            cascade(at: next)
            if heads[TimingWheel.overflowList] != TimingWheel.nowhere && overflowEarliest - TimingWheel.levelsRange <= next {
                placeOverflow(at: next)
            }
            // Detach the due slot into the firing list, so callbacks can cancel its members.
            let slot = Int(next & 63)
            if heads[slot] != TimingWheel.nowhere {
                moveList(from: slot, to: TimingWheel.firingList)
                occupied[0] &= ~(UInt64(1) << UInt64(slot))
            }
            processedThrough = next
            nextExpiryValid = false
        }
    }

    /// Processes every tick up to `tick`, calling `fire` with each due payload in order.
    mutating func advance(to tick: UInt64, fire: (Payload) -> Void) {
        while let payload = popExpired(through: tick) { fire(payload) }
    }

    /// The tick of the earliest pending timer, exact, or nil when none is pending. O(levels)
    /// when cached; after a cancel of the earliest timer, O(timers in one slot), plus
    /// O(overflow timers) when that timer was the overflow list's earliest.
    mutating func nextExpiry() -> UInt64? {
        if count == 0 { return nil }
        if nextExpiryValid, let cached = cachedNextExpiry { return cached }
        var best: UInt64?
        for level in 0..<TimingWheel.levels where occupied[level] != 0 {
            guard let (tick, slot) = nextOccupied(level: level, from: processedThrough + 1) else { continue }
            if level == 0 {
                best = min(best ?? .max, tick)
                continue
            }
            var cursor = heads[level * TimingWheel.slotsPerLevel + slot]
            while cursor != TimingWheel.nowhere {
                best = min(best ?? .max, max(nodes[Int(cursor)].expiry, processedThrough + 1))
                cursor = nodes[Int(cursor)].next
            }
        }
        if heads[TimingWheel.overflowList] != TimingWheel.nowhere {
            best = min(best ?? .max, exactOverflowEarliest())
        }
        cachedNextExpiry = best
        nextExpiryValid = true
        return best
    }

    /// Removes every pending timer and hands each payload to `body` (in no set order), leaving
    /// the wheel empty at the same tick. For shutdown: nothing is fired, no tick is advanced,
    /// and `body` may schedule again. O(timers + slots).
    mutating func removeAll(_ body: (Payload) -> Void) {
        var removed: [Payload] = []
        removed.reserveCapacity(count)
        for list in heads.indices {
            while heads[list] != TimingWheel.nowhere {
                let index = heads[list]
                unlink(index)
                if let payload = release(index) { removed.append(payload) }
            }
        }
        cachedNextExpiry = nil
        nextExpiryValid = true
        overflowEarliest = .max
        overflowEarliestExact = true
        removed.forEach(body)
    }

    // MARK: internals

    /// The next tick at which a slot must be fired or cascaded, or the overflow list placed on
    /// the levels (when its earliest timer comes within their range).
    private func nextEventTick() -> UInt64? {
        var best: UInt64?
        for level in 0..<TimingWheel.levels where occupied[level] != 0 {
            if let (tick, _) = nextOccupied(level: level, from: processedThrough + 1) {
                best = min(best ?? .max, tick)
            }
        }
        if heads[TimingWheel.overflowList] != TimingWheel.nowhere {
            // Later than `processedThrough`: every overflow timer is due after it + levelsRange.
            best = min(best ?? .max, overflowEarliest - TimingWheel.levelsRange)
        }
        return best
    }

    /// At tick `now`, places on the levels the overflow timers now within their range; the
    /// others go back to the overflow list, whose earliest expiry is then exact again.
    private mutating func placeOverflow(at now: UInt64) {
        var cursor = heads[TimingWheel.overflowList]
        heads[TimingWheel.overflowList] = TimingWheel.nowhere
        overflowEarliest = .max
        overflowEarliestExact = true
        while cursor != TimingWheel.nowhere {
            let next = nodes[Int(cursor)].next
            nodes[Int(cursor)].list = TimingWheel.nowhere
            place(cursor, base: now, dueTick: now)
            cursor = next
        }
    }

    /// The overflow list's earliest expiry, recomputed after a cancel made it a lower bound.
    private mutating func exactOverflowEarliest() -> UInt64 {
        if !overflowEarliestExact {
            var earliest = UInt64.max
            var cursor = heads[TimingWheel.overflowList]
            while cursor != TimingWheel.nowhere {
                earliest = min(earliest, nodes[Int(cursor)].expiry)
                cursor = nodes[Int(cursor)].next
            }
            overflowEarliest = earliest
            overflowEarliestExact = true
        }
        return overflowEarliest
    }

    /// For level 0: the tick of the next occupied slot at or after `from`. For higher levels:
    /// the tick at which the next occupied slot cascades. Cannot overflow: an occupied slot's
    /// tick is at most the expiry of a timer in it.
    private func nextOccupied(level: Int, from: UInt64) -> (UInt64, Int)? {
        let shift = UInt64(level) * TimingWheel.slotBits
        let span = UInt64(1) << shift
        // ⌈from / span⌉ without computing from + span − 1 (which overflows near UInt64.max).
        let block = level == 0 ? from : (from >> shift) + (from & (span - 1) == 0 ? 0 : 1)
        let start = Int(block & 63)
        let bits = occupied[level]
        let rotated = start == 0 ? bits : (bits >> UInt64(start)) | (bits << UInt64(64 - start))
        guard rotated != 0 else { return nil }
        let offset = UInt64(rotated.trailingZeroBitCount)
        let slot = (start + Int(offset)) & 63
        return level == 0 ? (from + offset, slot) : ((block + offset) << shift, slot)
    }

    /// At tick `now`, moves the timers of every higher-level slot that comes due down the levels
    /// (highest level first).
    private mutating func cascade(at now: UInt64) {
        for level in stride(from: TimingWheel.levels - 1, through: 1, by: -1) {
            let shift = UInt64(level) * TimingWheel.slotBits
            guard now & ((UInt64(1) << shift) - 1) == 0 else { continue }
            let slot = Int((now >> shift) & 63)
            let list = level * TimingWheel.slotsPerLevel + slot
            guard heads[list] != TimingWheel.nowhere else { continue }
            occupied[level] &= ~(UInt64(1) << UInt64(slot))
            var cursor = heads[list]
            heads[list] = TimingWheel.nowhere
            while cursor != TimingWheel.nowhere {
                let next = nodes[Int(cursor)].next
                nodes[Int(cursor)].list = TimingWheel.nowhere
                // Due at `now` joins slot `now` (not yet fired); later ones go where they belong.
                place(cursor, base: now, dueTick: now)
                cursor = next
            }
        }
    }

    /// Links a node into the slot its expiry belongs to, relative to `base`; a timer due at or
    /// before `base` goes into the level-0 slot of `dueTick`, one due further than
    /// ``levelsRange`` after `base` into the overflow list.
    private mutating func place(_ index: Int32, base: UInt64, dueTick: UInt64) {
        let expiry = nodes[Int(index)].expiry
        let list: Int
        if expiry <= base && !(expiry == base && dueTick == base) {
            list = Int(dueTick & 63)
            occupied[0] |= UInt64(1) << UInt64(list)
        } else if expiry - base > TimingWheel.levelsRange {
            list = TimingWheel.overflowList
            overflowEarliest = heads[list] == TimingWheel.nowhere ? expiry : min(overflowEarliest, expiry)
            if heads[list] == TimingWheel.nowhere { overflowEarliestExact = true }
        } else {
            let delta = expiry - base
            var level = 0
            while level < TimingWheel.levels - 1 && delta >> (UInt64(level + 1) * TimingWheel.slotBits) != 0 {
                level += 1
            }
            let slot = Int((expiry >> (UInt64(level) * TimingWheel.slotBits)) & 63)
            list = level * TimingWheel.slotsPerLevel + slot
            occupied[level] |= UInt64(1) << UInt64(slot)
        }
        link(index, into: list)
    }

    /// Appends at the tail of a list.
    private mutating func link(_ index: Int32, into list: Int) {
        nodes[Int(index)].list = Int32(list)
        nodes[Int(index)].next = TimingWheel.nowhere
        let head = heads[list]
        if head == TimingWheel.nowhere {
            nodes[Int(index)].previous = index  // the head's `previous` points at the tail
            heads[list] = index
        } else {
            let tail = nodes[Int(head)].previous
            nodes[Int(tail)].next = index
            nodes[Int(index)].previous = tail
            nodes[Int(head)].previous = index
        }
    }

    private mutating func unlink(_ index: Int32) {
        let list = Int(nodes[Int(index)].list)
        let previous = nodes[Int(index)].previous
        let next = nodes[Int(index)].next
        if heads[list] == index {
            heads[list] = next
            if next != TimingWheel.nowhere { nodes[Int(next)].previous = previous }
        } else {
            nodes[Int(previous)].next = next
            if next != TimingWheel.nowhere {
                nodes[Int(next)].previous = previous
            } else {
                nodes[Int(heads[list])].previous = previous  // new tail
            }
        }
        if heads[list] == TimingWheel.nowhere && list < TimingWheel.firingList {
            let level = list / TimingWheel.slotsPerLevel
            occupied[level] &= ~(UInt64(1) << UInt64(list % TimingWheel.slotsPerLevel))
        }
        nodes[Int(index)].list = TimingWheel.nowhere
    }

    private mutating func moveList(from source: Int, to destination: Int) {
        heads[destination] = heads[source]
        heads[source] = TimingWheel.nowhere
        var cursor = heads[destination]
        while cursor != TimingWheel.nowhere {
            nodes[Int(cursor)].list = Int32(destination)
            cursor = nodes[Int(cursor)].next
        }
    }

    private mutating func release(_ index: Int32) -> Payload? {
        let payload = nodes[Int(index)].payload
        nodes[Int(index)].payload = nil
        nodes[Int(index)].generation &+= 1
        nodes[Int(index)].list = TimingWheel.nowhere
        freeNodes.append(index)
        count -= 1
        return payload
    }
}
