/// A handle to a scheduled timer; pass it to ``Reactor/cancel(_:)`` to cancel.
public struct TimerHandle: Sendable, Hashable {
    let id: UInt64
}

/// Pending timers of one reactor, ordered by deadline (a binary min-heap).
///
/// Schedule is O(log n); cancel is O(1) (a cancelled entry is skipped when it reaches the
/// top). Used only on the reactor thread.
struct TimerQueue {
    private struct Entry {
        let deadline: UInt64
        let id: UInt64
        let action: () -> Void
    }

    private var heap: [Entry] = []
    private var live: Set<UInt64> = []
    private var nextID: UInt64 = 1

    var isEmpty: Bool { live.isEmpty }

    mutating func schedule(at deadline: UInt64, _ action: @escaping () -> Void) -> TimerHandle {
        let id = nextID
        nextID += 1
        heap.append(Entry(deadline: deadline, id: id, action: action))
        live.insert(id)
        siftUp(heap.count - 1)
        return TimerHandle(id: id)
    }

    /// Returns true when the timer was pending (and is now cancelled).
    mutating func cancel(_ handle: TimerHandle) -> Bool {
        live.remove(handle.id) != nil
    }

    /// The earliest live deadline, dropping cancelled entries from the top.
    mutating func nextDeadline() -> UInt64? {
        while let top = heap.first, !live.contains(top.id) { removeTop() }
        return heap.first?.deadline
    }

    /// Removes and returns the actions of every live timer due at `now`, earliest first.
    mutating func popExpired(now: UInt64, into actions: inout [() -> Void]) {
        while let top = heap.first, top.deadline <= now {
            removeTop()
            if live.remove(top.id) != nil { actions.append(top.action) }
        }
    }

    mutating func removeAll() {
        heap.removeAll()
        live.removeAll()
    }

    private mutating func removeTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        siftDown(0)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
