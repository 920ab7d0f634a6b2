import Synchronization

/// The thread-safe half of a ``BufferPool``: where a pooled chunk goes when the last buffer
/// using it is released on any thread, and the counters anyone may read.
///
/// Chunks coming back from other threads wait in a locked return list that the pool's reactor
/// drains when it next needs a chunk, so a chunk is only ever handed out again by its own
/// reactor, and never twice.
final class BufferPoolHome: Sendable {
    let sizeClasses: [Int]
    let returned = Locked<[ReturnedChunk]>([])
    let hasReturns = Atomic<Bool>(false)
    let closed = Atomic<Bool>(false)
    let inUse = Atomic<Int>(0)
    let hits = Atomic<Int>(0)
    let misses = Atomic<Int>(0)
    let keptBytes = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)

    init(sizeClasses: [Int]) { self.sizeClasses = sizeClasses }

    /// The last buffer using `chunk` went away (on any thread).
    func chunkReturned(_ chunk: UnsafeMutableRawPointer, sizeClass: Int) {
        inUse.subtract(1, ordering: .relaxed)
        let kept = returned.withLock { list -> Bool in
            if closed.load(ordering: .acquiring) { return false }
            list.append(ReturnedChunk(chunk: chunk, sizeClass: sizeClass))
            hasReturns.store(true, ordering: .releasing)
            return true
        }
        if !kept { chunk.deallocate() }
    }

    /// Frees what is in the return list and makes later returns free their memory at once.
    func close() {
        let leftovers = returned.withLock { list -> [ReturnedChunk] in
            closed.store(true, ordering: .releasing)
            defer { list.removeAll() }
            return list
        }
        for entry in leftovers { entry.chunk.deallocate() }
    }
}

/// A chunk on its way back to its pool.
// @unchecked Sendable: the chunk's memory is owned by whoever holds this value (it is in exactly
// one list at a time), so moving it between threads cannot race.
struct ReturnedChunk: @unchecked Sendable {
    let chunk: UnsafeMutableRawPointer
    let sizeClass: Int
}
