@testable import EventLoop
import TestSupport
import EventLoopTesting
import Testing

/// The per-reactor pool: reuse, cap, cross-thread release, double release, nothing lost.
@Suite struct BufferPoolTests {
    @Test func recycledChunksAreReused() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            let (stats, same) = try await reactor.submit { () -> (BufferPool.Stats, Bool) in
                let pool = reactor.bufferPool
                var first = pool.acquire(minimumCapacity: 100)
                let address = first.storage.bytes
                #expect(first.capacity == 2048 && first.isPooled)
                #expect(pool.recycle(&first))
                #expect(first.capacity == 0)
                let second = pool.acquire(minimumCapacity: 2048)
                return (pool.stats, second.storage.bytes == address)
            }
            #expect(same)
            #expect(stats.hits == 1 && stats.misses == 1)
            // `second` went on the reactor thread as the closure ended: home at once.
            #expect(reactor.bufferPool.stats.inUse == 0)
        }
    }

    @Test func sizeClassesCoverRequests() {
        #expect(BufferPool.sizeClass(for: 1) == 0)
        #expect(BufferPool.sizeClass(for: 2048) == 0)
        #expect(BufferPool.sizeClass(for: 2049) == 1)
        #expect(BufferPool.sizeClass(for: 65536) == 2)
        #expect(BufferPool.sizeClass(for: 1 << 20) == 2)
    }

    @Test func capIsEnforced() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            let stats = try await reactor.submit { () -> BufferPool.Stats in
                let pool = BufferPool(maxKeptBytes: 3 * 16 * 1024)
                pool.ownerThreadID = { reactor.threadID.load(ordering: .relaxed) }
                var buffers = (0..<10).map { _ in pool.acquire(minimumCapacity: 16 * 1024) }
                for index in buffers.indices { pool.recycle(&buffers[index]) }
                let stats = pool.stats
                pool.close()
                return stats
            }
            #expect(stats.keptBytes == 3 * 16 * 1024)
            #expect(stats.dropped == 7)
            #expect(stats.inUse == 0)
        }
    }

    /// A buffer dropped on another thread: its chunk waits in the return list (synchronously,
    /// no polling) and is the very chunk the reactor hands out next.
    @Test func releaseOnAnotherThreadGoesHome() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            let pool = reactor.bufferPool
            let (handoff, address) = try await reactor.submit { () -> (BufferHandoff, UInt) in
                var buffer = pool.acquire(minimumCapacity: 16 * 1024)
                buffer.writeString("crossing threads")
                return (BufferHandoff([buffer]), UInt(bitPattern: buffer.storage.bytes))
            }
            #expect(handoff.buffers.withLock { $0.first?.getString(at: 0, length: 8) } == "crossing")
            #expect(pool.stats.inUse == 1 && pool.stats.awaitingReturn == 0)
            await handoff.dropOnAnotherThread()
            #expect(pool.stats.inUse == 0)
            #expect(pool.stats.awaitingReturn == 1)
            let (hit, sameChunk, awaiting) = try await reactor.submit { () -> (Bool, Bool, Int) in
                let hitsBefore = pool.stats.hits
                let buffer = pool.acquire(minimumCapacity: 16 * 1024)
                return (pool.stats.hits == hitsBefore + 1, UInt(bitPattern: buffer.storage.bytes) == address, pool.stats.awaitingReturn)
            }
            #expect(hit && sameChunk, "the chunk returned from another thread is handed out again")
            #expect(awaiting == 0)
        }
    }

    @Test func doubleReleaseIsDetected() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            let outcome = try await reactor.submit { () -> BufferPool.Failure? in
                let pool = reactor.bufferPool
                let storage = pool.acquireStorage(sizeClass: 0)
                try? pool.release(storage)
                do {
                    try pool.release(storage)
                    return nil
                } catch let failure as BufferPool.Failure {
                    return failure
                } catch {
                    return nil
                }
            }
            #expect(outcome == .doubleRelease)
        }
    }

    /// The only reference to another pool's buffer (or to heap memory) is not recycled and is
    /// left intact; the same buffer is recycled by its own pool, so the refusal was for its
    /// origin, not for sharing.
    @Test func foreignBufferIsNotRecycled() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let (first, second) = (group.reactors[0], group.reactors[1])
            let handoff = try await first.submit { () -> BufferHandoff in
                var buffer = first.bufferPool.acquire()
                buffer.writeString("first's")
                return BufferHandoff([buffer, ByteBuffer(bytes: [1, 2, 3])])
            }
            let refused = try await second.submit { () -> Bool in
                var heap = handoff.take()!
                var pooled = handoff.take()!
                let refusedBoth = !second.bufferPool.recycle(&heap) && !second.bufferPool.recycle(&pooled)
                let intact = heap.readableBytesArray == [1, 2, 3] && pooled.isPooled && pooled.readString(length: 7) == "first's"
                handoff.put(pooled)
                return refusedBoth && intact
            }
            #expect(refused)
            let recycledHome = try await first.submit { () -> Bool in
                var pooled = handoff.take()!
                return first.bufferPool.recycle(&pooled)
            }
            #expect(recycledHome, "the buffer was unique: refused only as foreign")
            #expect(first.bufferPool.stats.inUse == 0 && second.bufferPool.stats.inUse == 0)
        }
    }

    /// After every connection closed, no chunk is still out: reads never leak pool memory.
    @Test func noChunkLostAfterConnectionsClose() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let listener = try await startEchoServer(group)
            for round in 0..<20 {
                let conn = try await Dialer().dial(listener.address, group: group)
                let message = Pattern.bytes(at: 0, count: 100_000, seed: round)
                async let sent: Void = conn.write(message)
                var reply = ByteBuffer()
                try await conn.readExactly(100_000, into: &reply)
                try await sent
                #expect(reply == message)
                conn.close()
            }
            listener.close()
            try await LeakCheck.expectNoSocketsLeft(in: group)
            try await waitUntil { group.bufferPoolStats.inUse == 0 }
        }
    }

    /// A connection waiting for data holds no pooled chunk.
    @Test func idleConnectionsHoldNoBuffer() async throws {
        try await withReactorGroup { group in
            let listener = try await startEchoServer(group)
            var conns: [TCPConn] = []
            for _ in 0..<50 {
                let conn = try await Dialer().dial(listener.address, group: group)
                try await conn.write([1, 2, 3])
                var reply = ByteBuffer()
                try await conn.readExactly(3, into: &reply)
                conns.append(conn)
            }
            // 50 server connections (and 50 clients) now wait in read.
            try await waitUntil { group.bufferPoolStats.inUse == 0 }
            conns.forEach { $0.close() }
            listener.close()
        }
    }
}
