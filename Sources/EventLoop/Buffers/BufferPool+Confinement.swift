import Synchronization

extension BufferPool {
    /// Whether the caller may use the free lists: true on the running reactor's thread; false
    /// while the reactor is not running (before its thread starts, while it stops, after it
    /// stopped), when the caller must leave the free lists alone and is served without them.
    /// Traps, in every build, when another thread calls while the reactor runs: the free lists
    /// have no lock, so a second thread would corrupt them silently.
    ///
    /// Cost on the hot path: one relaxed load and a `pthread_self` compare. A thread matches
    /// `confirmedOwner` only if it stored its own id there after `ownerThreadID` named it (or
    /// is a later thread with a recycled id, after that owner exited, which only happens
    /// after the pool closed and cleared it), so the match is proof enough.
    @inline(__always)
    func ownsFreeLists(_ operation: StaticString) -> Bool {
        if confirmedOwner.load(ordering: .relaxed) == ReactorThread.currentID { return true }
        return confirmOwner(operation)
    }

    /// The slow path of ``ownsFreeLists(_:)``: asks the reactor which thread owns the pool.
    @inline(never)
    private func confirmOwner(_ operation: StaticString) -> Bool {
        let caller = ReactorThread.currentID
        let owner = ownerThreadID()
        if owner == caller {
            confirmedOwner.store(caller, ordering: .relaxed)
            return true
        }
        if owner != 0 { offOwnerThread(operation) }
        return false  // the reactor is not running
    }

    /// `fatalError` rather than `precondition`: `-O` builds drop a precondition's message.
    @inline(never)
    private func offOwnerThread(_ operation: StaticString) -> Never {
        fatalError("BufferPool.\(operation) called off its reactor's thread")
    }

    /// A chunk for a caller while the reactor is not running: fresh memory, counted as in use
    /// and as a miss; when its last buffer goes it takes the cross-thread way home (freed once
    /// the pool is closed). Any thread.
    func unownedStorage(sizeClass: Int) -> BufferStorage {
        let size = BufferPool.sizeClasses[sizeClass]
        home.inUse.add(1, ordering: .relaxed)
        home.misses.add(1, ordering: .relaxed)
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        return BufferStorage(chunk: chunk, capacity: size, home: home, sizeClass: sizeClass)
    }
}
