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
            #expect(stats.hits >= 1)
            try await waitUntil { reactor.bufferPool.stats.inUse == 0 }
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
                pool.isOwnerThread = { reactor.isCurrent }
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

    @Test func releaseOnAnotherThreadGoesHome() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            var buffer = try await reactor.submit { () -> ByteBuffer in
                var buffer = reactor.bufferPool.acquire(minimumCapacity: 16 * 1024)
                buffer.writeString("crossing threads")
                return buffer
            }
            #expect(reactor.bufferPool.stats.inUse == 1)
            // Dropped here, on a thread of the global pool: the chunk queues for its reactor.
            await Task.detached { [buffer] in _ = buffer.readableBytes }.value
            #expect(buffer.readString(length: 8) == "crossing")
            buffer = ByteBuffer()
            try await waitUntil { reactor.bufferPool.stats.inUse == 0 }
            let reused = try await reactor.submit { () -> Bool in
                let hitsBefore = reactor.bufferPool.stats.hits
                _ = reactor.bufferPool.acquire(minimumCapacity: 16 * 1024)
                return reactor.bufferPool.stats.hits == hitsBefore + 1
            }
            #expect(reused, "the chunk returned from another thread is handed out again")
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

    @Test func foreignBufferIsNotRecycled() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let (first, second) = (group.reactors[0], group.reactors[1])
            let buffer = try await first.submit { first.bufferPool.acquire() }
            let recycled = try await second.submit { () -> Bool in
                var copy = buffer
                return second.bufferPool.recycle(&copy)
            }
            #expect(!recycled)
            let heap = ByteBuffer(capacity: 10)
            let recycledHeap = try await first.submit { () -> Bool in
                var copy = heap
                return first.bufferPool.recycle(&copy)
            }
            #expect(!recycledHeap)
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
