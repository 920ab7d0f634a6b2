@testable import EventLoop
import EventLoopTesting
import Synchronization
import Testing

/// Buffers handed to another thread and dropped there: their chunks go home through the
/// cross-thread return list, which is capped (past the pool's cap the chunk is freed at once),
/// and nothing is lost.
@Suite struct BufferPoolReturnTests {
    /// Chunks waiting in the return list right now.
    static func queued(_ pool: BufferPool) -> Int { pool.home.returned.withLock { $0.chunks.count } }

    @Test func returnsFromAnotherThreadAreCappedAndTheExcessFreed() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            let chunk = BufferPool.sizeClasses[0]
            let pool = BufferPool(maxKeptBytes: 16 * chunk)
            pool.ownerThreadID = { reactor.threadID.load(ordering: .relaxed) }
            let handoff = BufferHandoff(try await reactor.submit { (0..<200).map { _ in pool.acquire(minimumCapacity: chunk) } })
            #expect(pool.stats.inUse == 200)
            await handoff.dropOnAnotherThread()
            // Dropping is synchronous: the counts are final here, no waiting.
            #expect(pool.stats.inUse == 0)
            #expect(Self.queued(pool) == 16, "the return list holds at most the cap")
            #expect(pool.stats.awaitingReturn == 16)
            #expect(pool.stats.dropped == 184, "the excess is freed at once")
            // The queued chunks are handed out again by the reactor, and they are all there is.
            let (stats, queuedAfter) = try await reactor.submit { () -> (BufferPool.Stats, Int) in
                let again = (0..<20).map { _ in pool.acquire(minimumCapacity: chunk) }
                return withExtendedLifetime(again) { (pool.stats, Self.queued(pool)) }
            }
            #expect(stats.hits == 16 && stats.misses == 200 + 4)
            #expect(stats.awaitingReturn == 0 && queuedAfter == 0)
            // The 20 went on the reactor thread as the closure ended: 16 queue again, 4 are freed.
            #expect(pool.stats.awaitingReturn == 16 && pool.stats.dropped == 184 + 4)
            try await reactor.submit { pool.close() }
            #expect(pool.stats.inUse == 0)
        }
    }

    /// The same through a reactor's own pool and its default cap: the group's leak check finds
    /// every chunk home, and the return list stays within the cap.
    @Test func manyBuffersDroppedOffTheReactorLeakNothing() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            let chunk = BufferPool.sizeClasses[1]
            let count = BufferPool.defaultMaxKeptBytes / chunk + 100
            let handoff = BufferHandoff(try await reactor.submit { (0..<count).map { _ in reactor.bufferPool.acquire(minimumCapacity: chunk) } })
            await handoff.dropOnAnotherThread()
            let stats = reactor.bufferPool.stats
            #expect(stats.inUse == 0)
            #expect(stats.awaitingReturn * chunk <= BufferPool.defaultMaxKeptBytes)
            #expect(stats.dropped >= 100)
            try await LeakCheck.expectNoBuffersOut(in: group, within: 0)
        }
    }
}

extension BufferPoolReturnTests {
    /// Four threads drop buffers while the reactor acquires and recycles: every chunk comes
    /// home or is freed (none in use at the end), the bytes the pool holds stay near its cap,
    /// and every acquisition is a hit or a miss. Run under TSan, this is the race test of the
    /// return path.
    @Test func concurrentReturnsWhileTheReactorAcquires() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            let chunk = BufferPool.sizeClasses[0]
            let cap = 64 * chunk
            let pool = BufferPool(maxKeptBytes: cap)
            pool.ownerThreadID = { reactor.threadID.load(ordering: .relaxed) }
            let handoffs = try await reactor.submit { (0..<4).map { _ in BufferHandoff((0..<500).map { _ in pool.acquire(minimumCapacity: chunk) }) } }
            async let churn: Void = reactor.submit {
                for _ in 0..<2_000 {
                    var buffer = pool.acquire(minimumCapacity: chunk)
                    buffer.writeInteger(UInt32(7))
                    pool.recycle(&buffer)
                }
            }
            await withTaskGroup(of: Void.self) { tasks in
                for handoff in handoffs { tasks.addTask { await handoff.dropOnAnotherThread() } }
            }
            try await churn
            let stats = pool.stats
            #expect(stats.inUse == 0)
            #expect(stats.hits + stats.misses == 2_000 + 2_000)
            #expect(stats.keptBytes <= cap)
            #expect(stats.keptBytes + stats.awaitingReturn * chunk <= 2 * cap, "\(stats)")
            try await reactor.submit { pool.close() }
        }
    }
}

/// Holds buffers so that a task on another thread can drop the last reference to them.
final class BufferHandoff: Sendable {
    let buffers: Mutex<[ByteBuffer]>
    init(_ buffers: [ByteBuffer]) { self.buffers = Mutex(buffers) }

    /// Takes the last held buffer out (the caller then holds the only reference).
    func take() -> ByteBuffer? { buffers.withLock { $0.popLast() } }

    /// Hands a buffer back.
    func put(_ buffer: ByteBuffer) { buffers.withLock { $0.append(buffer) } }

    /// Drops every held buffer on a thread of the global pool (never a reactor thread) and
    /// returns once they are gone.
    func dropOnAnotherThread() async {
        await Task.detached { self.buffers.withLock { $0.removeAll() } }.value
    }
}
