@testable import EventLoop
import EventLoopTesting
import Synchronization
import Testing

/// A job for the pool tests: runs `body`, records a failure to start.
final class RecordingJob: BlockingJob {
    private let body: @Sendable () -> Void
    private let ranFlag = Atomic<Bool>(false)
    /// True once the job has run.
    var ran: Bool { ranFlag.load(ordering: .acquiring) }
    init(_ body: @escaping @Sendable () -> Void = {}) { self.body = body }
    func run() {
        body()
        ranFlag.store(true, ordering: .releasing)
    }
    func threadUnavailable(errno: Int32) {}
}

/// The pool under the resolver and `offload`: bounded threads and queue; refuses or makes the
/// caller wait when full; a waiting caller's job goes straight to a thread with no queue.
@Suite struct BlockingThreadPoolTests {
    @Test func withNoQueueAWaitingCallerGetsTheNextFreeThread() async throws {
        let pool = BlockingThreadPool(maxThreads: 1, maxQueued: 0, threadName: "pool-test")
        let gate = ThreadGate()
        let first = RecordingJob { gate.wait() }
        #expect(pool.offer(first))
        #expect(!pool.offer(RecordingJob()), "full: one thread busy, no queue place")
        let second = RecordingJob()
        try await withTimeout(30) {
            let admitted = Task { await pool.admit(second) }
            try await waitUntil { pool.waitingForRoom == 1 }
            gate.open(waiters: 1)
            await admitted.value
            try await waitUntil { second.ran && pool.inFlight == 0 }
        }
        #expect(first.ran)
    }

    @Test func removingAQueuedJobAdmitsAWaitingCaller() async throws {
        let pool = BlockingThreadPool(maxThreads: 1, maxQueued: 1, threadName: "pool-test")
        let gate = ThreadGate()
        let running = RecordingJob { gate.wait() }
        let queued = RecordingJob()
        let waiting = RecordingJob()
        #expect(pool.offer(running))
        try await withTimeout(30) {
            try await waitUntil { pool.inFlight == 1 && pool.offer(queued) }
            let admitted = Task { await pool.admit(waiting) }
            try await waitUntil { pool.waitingForRoom == 1 }
            #expect(pool.remove(queued), "still queued: removed")
            await admitted.value
            #expect(pool.waitingForRoom == 0)
            gate.open(waiters: 1)
            try await waitUntil { waiting.ran && pool.inFlight == 0 }
        }
        #expect(!queued.ran, "a removed job never runs")
        #expect(!pool.remove(queued))
    }
}
