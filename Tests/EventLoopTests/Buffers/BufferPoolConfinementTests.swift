@testable import EventLoop
import EventLoopTesting
import Testing

/// A reactor's pool is confined to the reactor's thread, and the check stays in release builds:
/// `acquire` or `recycle` called from another thread traps with a message that names the type
/// and the operation. Each case runs in a child process (an exit test).
@Suite struct BufferPoolConfinementTests {
    /// The message the trap prints for `operation`.
    static func offThreadMessage(_ operation: String) -> String {
        "BufferPool.\(operation) called off its reactor's thread"
    }

    @Test func acquireOffTheReactorThreadTraps() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let group = try ReactorGroup(count: 1, name: "confined")
            let reactor = group.reactors[0]
            try await reactor.submit {}  // the reactor thread runs and owns its pool
            _ = reactor.bufferPool.acquire()  // from a thread of the global pool
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains(Self.offThreadMessage("acquire")), "stderr: \(stderr)")
    }

    @Test func recycleOffTheReactorThreadTraps() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let group = try ReactorGroup(count: 1, name: "confined")
            let reactor = group.reactors[0]
            var buffer = try await reactor.submit { reactor.bufferPool.acquire() }
            reactor.bufferPool.recycle(&buffer)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains(Self.offThreadMessage("recycle")), "stderr: \(stderr)")
    }

    /// On its own thread the pool works, and after the reactor stopped any thread may still
    /// acquire and recycle (the pool is closed: nothing is kept, nothing leaks).
    @Test func ownerThreadAndStoppedReactorAreAllowed() async throws {
        let group = try ReactorGroup(count: 1, name: "confined")
        let reactor = group.reactors[0]
        let recycled = try await reactor.submit { () -> Bool in
            var buffer = reactor.bufferPool.acquire()
            return reactor.bufferPool.recycle(&buffer)
        }
        #expect(recycled)
        await group.shutdown()
        var late = reactor.bufferPool.acquire()
        late.writeString("after shutdown")
        #expect(late.isPooled)
        #expect(reactor.bufferPool.recycle(&late))
        #expect(reactor.bufferPool.stats.inUse == 0)
        #expect(reactor.bufferPool.stats.keptBytes == 0)
    }

    /// A pool whose reactor is not running serves any thread without its free lists.
    @Test func poolWithoutARunningReactorKeepsNothing() {
        let pool = BufferPool(maxKeptBytes: 1 << 20)
        var buffer = pool.acquire()
        buffer.writeString("no reactor")
        #expect(buffer.isPooled)
        #expect(pool.recycle(&buffer))
        let stats = pool.stats
        #expect(stats.inUse == 0 && stats.keptBytes == 0 && stats.dropped == 1 && stats.misses == 1)
    }
}
