import Synchronization

/// The thread-safe half of a ``BufferPool``: where a pooled chunk goes when the last buffer
/// using it is released on any thread, and the counters anyone may read.
///
/// Chunks coming back from other threads wait in a locked return list that the pool's reactor
/// drains when it next needs a chunk, so a chunk is only ever handed out again by its own
/// reactor, and never twice. The list is capped: a chunk that would take the bytes waiting in
/// it plus the pool's kept bytes past the pool's cap is freed at once (counted in `dropped`),
/// so buffers dropped on other threads while the reactor does not acquire cannot pile up.
final class BufferPoolHome: Sendable {
    let sizeClasses: [Int]
    /// The pool's cap on the bytes it keeps (free lists and return list together).
    let maxKeptBytes: Int
    let returned = Locked(ReturnList())
    let awaitingReturn = Atomic<Int>(0)
    let hasReturns = Atomic<Bool>(false)
    let closed = Atomic<Bool>(false)
    let inUse = Atomic<Int>(0)
    let hits = Atomic<Int>(0)
    let misses = Atomic<Int>(0)
    let keptBytes = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)

    init(sizeClasses: [Int], maxKeptBytes: Int) {
        self.sizeClasses = sizeClasses
        self.maxKeptBytes = maxKeptBytes
    }

    /// The last buffer using `chunk` went away (on any thread): queue it for the reactor, or
    /// free it when the pool is closed or the queue is at the cap. O(1), one lock.
    func chunkReturned(_ chunk: UnsafeMutableRawPointer, sizeClass: Int) {
        inUse.subtract(1, ordering: .relaxed)
        let size = sizeClasses[sizeClass]
        let queued = returned.withLock { list -> Bool in
            if closed.load(ordering: .acquiring) { return false }
            // `keptBytes` is the reactor's (relaxed, possibly a little stale): the bound is the
            // cap give or take what the reactor is moving at this instant.
            if list.bytes + size + keptBytes.load(ordering: .relaxed) > maxKeptBytes { return false }
            list.chunks.append(ReturnedChunk(chunk: chunk, sizeClass: sizeClass))
            list.bytes += size
            awaitingReturn.store(list.chunks.count, ordering: .relaxed)
            hasReturns.store(true, ordering: .releasing)
            return true
        }
        if !queued {
            dropped.add(1, ordering: .relaxed)
            chunk.deallocate()
        }
    }

    /// Frees what is in the return list and makes later returns free their memory at once.
    func close() {
        let leftovers = returned.withLock { list -> [ReturnedChunk] in
            closed.store(true, ordering: .releasing)
            awaitingReturn.store(0, ordering: .relaxed)
            defer { list = ReturnList() }
            return list.chunks
        }
        for entry in leftovers { entry.chunk.deallocate() }
    }
}

/// The chunks waiting to go back to their pool, and their bytes.
struct ReturnList {
    var chunks: [ReturnedChunk] = []
    var bytes = 0
}

/// A chunk on its way back to its pool.
// @unchecked Sendable: the chunk's memory is owned by whoever holds this value (it is in exactly
// one list at a time), so moving it between threads cannot race.
struct ReturnedChunk: @unchecked Sendable {
    let chunk: UnsafeMutableRawPointer
    let sizeClass: Int
}
