import Synchronization

/// A reactor's pool of buffer memory: fixed-size chunks in a few size classes, free lists,
/// and a cap on the bytes it keeps (what exceeds it goes back to the system).
///
/// `acquire` and `recycle` run on the owning reactor's thread only (O(1), no lock, and no
/// malloc once warmed up); called from another thread while the reactor runs, they trap with
/// "BufferPool.acquire called off its reactor's thread" (release builds too). While the reactor
/// is not running (not yet started, or stopped) any thread may call them: the pool then hands
/// out fresh chunks and keeps nothing. Buffers may be passed to and dropped on any thread,
/// their chunk then finds its way home (see ``Stats/awaitingReturn``). ``stats`` may be read
/// from any thread.
// @unchecked Sendable: the free lists and `kept` are touched only by the thread that passes
// `ownsFreeLists` (the running reactor's thread, checked in every build; see
// BufferPool+Confinement.swift); `ownerThreadID` is set once, before the pool is shared; every
// other piece of state is in `home` (a lock and atomics), atomic, or immutable.
public final class BufferPool: @unchecked Sendable {
    /// Chunk sizes of the size classes.
    public static let sizeClasses = [2 * 1024, 16 * 1024, 64 * 1024]
    /// Bytes a pool keeps at most by default (per reactor).
    public static let defaultMaxKeptBytes = 8 << 20

    /// Counters of a pool, read at one moment.
    public struct Stats: Sendable, Hashable, CustomStringConvertible {
        /// Acquisitions served from the free lists.
        public var hits: Int
        /// Acquisitions that had to allocate memory.
        public var misses: Int
        /// Chunks handed out and not yet back (0 once every buffer is gone).
        public var inUse: Int
        /// Bytes sitting in the free lists.
        public var keptBytes: Int
        /// Chunks given back to the system because the cap was reached (on the reactor, or at
        /// once when returned from another thread), or because the reactor was not running.
        public var dropped: Int
        /// Chunks returned from other threads that wait for the reactor to take them back.
        /// Their bytes and ``keptBytes`` together stay within the pool's cap.
        public var awaitingReturn: Int

        /// `hits=… misses=… inUse=… keptBytes=… dropped=… awaitingReturn=…`.
        public var description: String {
            "hits=\(hits) misses=\(misses) inUse=\(inUse) keptBytes=\(keptBytes) dropped=\(dropped) awaitingReturn=\(awaitingReturn)"
        }

        static func + (lhs: Stats, rhs: Stats) -> Stats {
            Stats(hits: lhs.hits + rhs.hits, misses: lhs.misses + rhs.misses, inUse: lhs.inUse + rhs.inUse,
                  keptBytes: lhs.keptBytes + rhs.keptBytes, dropped: lhs.dropped + rhs.dropped,
                  awaitingReturn: lhs.awaitingReturn + rhs.awaitingReturn)
        }
        static let zero = Stats(hits: 0, misses: 0, inUse: 0, keptBytes: 0, dropped: 0, awaitingReturn: 0)
    }

    /// Errors of pool misuse.
    public enum Failure: Error, Sendable, Equatable {
        /// The storage is already back in the pool.
        case doubleRelease
        /// The storage belongs to another pool, or to none.
        case foreignBuffer
    }

    let home: BufferPoolHome
    /// The most bytes the free lists keep.
    public let maxKeptBytes: Int
    /// The owning reactor's thread id, 0 while it is not running (set once by the reactor; a
    /// pool without a reactor answers 0 and keeps nothing).
    var ownerThreadID: @Sendable () -> UInt = { 0 }
    /// The thread last confirmed as the owner (0: none): the hot path compares one word.
    let confirmedOwner = Atomic<UInt>(0)
    // Owner-thread state; unchecked exclusivity as explained in Reactor.swift.
    @exclusivity(unchecked) private var freeStorages: [[BufferStorage]]
    @exclusivity(unchecked) private var freeChunks: [[UnsafeMutableRawPointer]]
    @exclusivity(unchecked) private var kept = 0
    @exclusivity(unchecked) private var returnsSpare: [ReturnedChunk] = []

    /// A pool for one reactor, keeping at most `maxKeptBytes` in its free lists.
    init(maxKeptBytes: Int = BufferPool.defaultMaxKeptBytes) {
        home = BufferPoolHome(sizeClasses: BufferPool.sizeClasses, maxKeptBytes: maxKeptBytes)
        self.maxKeptBytes = maxKeptBytes
        freeStorages = Array(repeating: [], count: BufferPool.sizeClasses.count)
        freeChunks = Array(repeating: [], count: BufferPool.sizeClasses.count)
    }

    /// The pool's counters. Any thread.
    public var stats: Stats {
        Stats(hits: home.hits.load(ordering: .relaxed), misses: home.misses.load(ordering: .relaxed),
              inUse: home.inUse.load(ordering: .relaxed), keptBytes: home.keptBytes.load(ordering: .relaxed),
              dropped: home.dropped.load(ordering: .relaxed), awaitingReturn: home.awaitingReturn.load(ordering: .relaxed))
    }

    /// The smallest size class holding `bytes` (the largest class for more).
    @inline(__always)
    static func sizeClass(for bytes: Int) -> Int {
        // Plain comparisons: no closure or generic call on the hot path (debug builds too).
        if bytes <= 2 * 1024 { return 0 }
        if bytes <= 16 * 1024 { return 1 }
        return 2
    }

    /// An empty buffer backed by a pooled chunk of at least `minimumCapacity` bytes (at most the
    /// largest class). Reactor thread only (traps on another thread while the reactor runs).
    /// O(1); no malloc on a hit of a recycled buffer.
    public func acquire(minimumCapacity: Int = 2 * 1024) -> ByteBuffer {
        ByteBuffer(storage: acquireStorage(sizeClass: BufferPool.sizeClass(for: minimumCapacity), operation: "acquire"))
    }

    /// Gives a buffer's memory back to the pool when this is its only reference, and leaves an
    /// empty buffer in its place. Returns false (and leaves the buffer alone) when its memory is
    /// not from this pool or still shared; shared pooled memory comes home when its last copy
    /// goes. Reactor thread only (traps on another thread while the reactor runs). O(1).
    @discardableResult
    public func recycle(_ buffer: inout ByteBuffer) -> Bool {
        let owner = ownsFreeLists("recycle")
        guard buffer.storage.home === home, isKnownUniquelyReferenced(&buffer.storage) else { return false }
        let storage = buffer.storage
        buffer = ByteBuffer()
        try? release(storage, owner: owner)
        return true
    }

    /// A storage of the size class; `operation` names the caller in the confinement trap.
    func acquireStorage(sizeClass: Int, operation: StaticString = "acquire") -> BufferStorage {
        let size = BufferPool.sizeClasses[sizeClass]
        guard ownsFreeLists(operation) else { return unownedStorage(sizeClass: sizeClass) }
        home.inUse.add(1, ordering: .relaxed)
        if let storage = freeStorages[sizeClass].popLast() {
            storage.isFree = false
            noteKept(-size)
            home.hits.store(home.hits.load(ordering: .relaxed) + 1, ordering: .relaxed)
            return storage
        }
        if freeChunks[sizeClass].isEmpty && home.hasReturns.load(ordering: .acquiring) { takeReturns() }
        if let chunk = freeChunks[sizeClass].popLast() {
            noteKept(-size)
            home.hits.store(home.hits.load(ordering: .relaxed) + 1, ordering: .relaxed)
            return BufferStorage(chunk: chunk, capacity: size, home: home, sizeClass: sizeClass)
        }
        home.misses.store(home.misses.load(ordering: .relaxed) + 1, ordering: .relaxed)
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        return BufferStorage(chunk: chunk, capacity: size, home: home, sizeClass: sizeClass)
    }

    /// Puts an unshared storage back on its free list (or drops it past the cap).
    /// Throws ``Failure/doubleRelease`` when it is already free.
    func release(_ storage: BufferStorage) throws(Failure) {
        try release(storage, owner: ownsFreeLists("release"))
    }

    /// `owner`: whether the caller may use the free lists (false: the reactor is not running,
    /// the storage is freed).
    private func release(_ storage: BufferStorage, owner: Bool) throws(Failure) {
        guard storage.home === home else { throw .foreignBuffer }
        guard !storage.isFree else { throw .doubleRelease }
        storage.isFree = true
        home.inUse.subtract(1, ordering: .relaxed)
        guard owner else {
            home.dropped.add(1, ordering: .relaxed)
            return  // the reactor is not running: the free storage's deinit frees the memory
        }
        let size = storage.capacity
        if kept + size > maxKeptBytes {
            home.dropped.add(1, ordering: .relaxed)
            return  // dropped: a free storage's deinit gives the memory to the system
        }
        noteKept(size)
        freeStorages[storage.sizeClass].append(storage)
    }

    /// Moves chunks returned from other threads onto the free lists (past the cap: freed).
    private func takeReturns() {
        // Swap the list with an empty one of the same capacity: no copy, no allocation.
        home.returned.withLock { list in
            home.hasReturns.store(false, ordering: .relaxed)
            home.awaitingReturn.store(0, ordering: .relaxed)
            list.bytes = 0
            swap(&list.chunks, &returnsSpare)
        }
        for entry in returnsSpare {
            let size = BufferPool.sizeClasses[entry.sizeClass]
            if kept + size > maxKeptBytes {
                home.dropped.add(1, ordering: .relaxed)
                entry.chunk.deallocate()
            } else {
                noteKept(size)
                freeChunks[entry.sizeClass].append(entry.chunk)
            }
        }
        returnsSpare.removeAll(keepingCapacity: true)
    }

    private func noteKept(_ delta: Int) {
        kept += delta
        home.keptBytes.store(kept, ordering: .relaxed)
    }

    /// Frees everything the pool keeps; buffers still out free their memory when they go. From
    /// here on the pool keeps nothing, and any thread may use it (see `ownsFreeLists`). Called
    /// by the reactor on its thread as it stops, after its thread id was cleared (so no other
    /// thread uses the free lists meanwhile).
    func close() {
        home.close()
        confirmedOwner.store(0, ordering: .relaxed)
        for list in freeChunks { for chunk in list { chunk.deallocate() } }
        freeChunks = freeChunks.map { _ in [] }
        freeStorages = freeStorages.map { _ in [] }  // free storages free their memory in deinit
        noteKept(-kept)
    }
}
