/// Work for a ``BlockingThreadPool``: it runs on one of the pool's threads, or hears that no
/// thread could be started for it.
protocol BlockingJob: AnyObject, Sendable {
    /// Runs the job on a pool thread; it may block that thread for as long as it needs.
    func run()
    /// pthread_create failed with `errno` and no other pool thread is left to take the job:
    /// it will never run.
    func threadUnavailable(errno: Int32)
}

/// A bounded pool of dedicated threads for blocking work (name resolution, offloaded work),
/// never a reactor thread nor one of Swift's or Dispatch's shared threads.
///
/// Threads are created on demand when a job arrives and none is free, up to `maxThreads`, and
/// end when the queue is empty: an idle pool holds no thread. Jobs wait in a FIFO queue of at
/// most `maxQueued`. When every thread is busy and the queue is full, the pool is *full*: a
/// job offered with ``offer(_:)`` is refused, and one given to ``admit(_:)`` makes its caller
/// wait (suspended, FIFO) until a thread takes a queued job and its place frees: back-pressure,
/// never an unbounded queue of accepted work.
///
/// Thread safety: every method may be called from any thread; the state is under one lock.
final class BlockingThreadPool: Sendable {
    private struct State {
        /// Waiting for a thread, oldest first.
        var queued: [any BlockingJob] = []
        /// Callers whose job waits for a place in the queue, oldest first.
        var waitingForRoom: [(job: any BlockingJob, admitted: CheckedContinuation<Void, Never>)] = []
        /// Threads started and not yet ended.
        var threads = 0
        /// Jobs a thread has taken and not yet finished.
        var running = 0
    }

    /// The most jobs that run at once (and threads that exist).
    let maxThreads: Int
    /// The most jobs that wait for a thread.
    let maxQueued: Int
    /// The name of the pool's threads (cut to 15 characters).
    let threadName: String
    private let state = Locked(State())

    /// A pool of up to `maxThreads` threads named `threadName` and `maxQueued` waiting jobs.
    init(maxThreads: Int, maxQueued: Int, threadName: String) {
        precondition(maxThreads > 0 && maxQueued >= 0, "a thread pool needs a thread")
        self.maxThreads = maxThreads
        self.maxQueued = maxQueued
        self.threadName = threadName
    }

    /// Jobs queued or running.
    var inFlight: Int { state.withLock { $0.queued.count + $0.running } }

    /// Callers suspended in ``admit(_:)`` because the pool is full.
    var waitingForRoom: Int { state.withLock { $0.waitingForRoom.count } }

    private enum Admission { case queued, startThread, full }

    /// Queues `job` unless the pool is full; starts a thread when fewer than `maxThreads` run.
    /// False when refused (the job will not run). O(1) amortized.
    func offer(_ job: any BlockingJob) -> Bool {
        let admission = state.withLock { state in admit(job, into: &state) }
        switch admission {
        case .full: return false
        case .queued: return true
        case .startThread:
            startThread()
            return true
        }
    }

    /// Queues `job`, waiting (suspended) while the pool is full: returns once the job is queued
    /// or running. Callers that wait are admitted in arrival order. Not cancellable: a waiting
    /// caller is admitted when room frees, which needs only one queued job to be taken.
    func admit(_ job: any BlockingJob) async {
        await withCheckedContinuation { (admitted: CheckedContinuation<Void, Never>) in
            let admission = state.withLock { state -> Admission in
                let admission = admit(job, into: &state)
                if admission == .full { state.waitingForRoom.append((job, admitted)) }
                return admission
            }
            switch admission {
            case .full: return
            case .queued: admitted.resume()
            case .startThread:
                startThread()
                admitted.resume()
            }
        }
    }

    /// Removes `job` if no thread has taken it yet; true when it was removed (it will not run).
    @discardableResult
    func remove(_ job: any BlockingJob) -> Bool {
        let admitted: [CheckedContinuation<Void, Never>]? = state.withLock { state in
            guard let index = state.queued.firstIndex(where: { $0 === job }) else { return nil }
            state.queued.remove(at: index)
            return moveWaitersIn(&state, upTo: maxQueued)
        }
        guard let admitted else { return false }
        for continuation in admitted { continuation.resume() }
        return true
    }

    private func admit(_ job: any BlockingJob, into state: inout State) -> Admission {
        let full = state.queued.count >= maxQueued && state.threads == maxThreads
        if full || !state.waitingForRoom.isEmpty { return .full }
        state.queued.append(job)
        guard state.threads < maxThreads else { return .queued }
        state.threads += 1
        return .startThread
    }

    private func startThread() {
        let status = DetachedThread.start(name: threadName) { [self] in work() }
        if status != 0 { threadFailedToStart(errno: status) }
    }

    /// A thread's life: takes queued jobs until none is left, then ends.
    private func work() {
        while let job = takeNext() {
            job.run()
            state.withLock { $0.running -= 1 }
        }
    }

    /// The oldest queued job, now running (callers waiting for room get the places that
    /// frees, oldest first); or nil, and the calling thread counts as ended.
    private func takeNext() -> (any BlockingJob)? {
        let (job, admitted): ((any BlockingJob)?, [CheckedContinuation<Void, Never>]) = state.withLock { state in
            // With `maxQueued` 0 a waiting caller's job goes straight to this thread.
            var admitted = state.queued.isEmpty ? moveWaitersIn(&state, upTo: 1) : []
            guard !state.queued.isEmpty else {
                state.threads -= 1
                return (nil, admitted)
            }
            state.running += 1
            let job = state.queued.removeFirst()
            admitted += moveWaitersIn(&state, upTo: maxQueued)
            return (job, admitted)
        }
        for continuation in admitted { continuation.resume() }
        return job
    }

    /// Moves jobs of waiting callers into the queue while it holds fewer than `limit`; returns
    /// their continuations, to resume once the lock is released.
    private func moveWaitersIn(_ state: inout State, upTo limit: Int) -> [CheckedContinuation<Void, Never>] {
        var admitted: [CheckedContinuation<Void, Never>] = []
        while state.queued.count < limit, !state.waitingForRoom.isEmpty {
            let waiter = state.waitingForRoom.removeFirst()
            state.queued.append(waiter.job)
            admitted.append(waiter.admitted)
        }
        return admitted
    }

    /// pthread_create failed: when no other thread is left to drain the queue, every queued
    /// job (and every job waiting for room) hears of it instead of waiting for a thread that
    /// will not come.
    private func threadFailedToStart(errno: Int32) {
        let (orphans, waiters): ([any BlockingJob], [(job: any BlockingJob, admitted: CheckedContinuation<Void, Never>)]) = state.withLock { state in
            state.threads -= 1
            guard state.threads == 0 else { return ([], []) }
            defer {
                state.queued.removeAll()
                state.waitingForRoom.removeAll()
            }
            return (state.queued, state.waitingForRoom)
        }
        for job in orphans { job.threadUnavailable(errno: errno) }
        for waiter in waiters {
            waiter.job.threadUnavailable(errno: errno)
            waiter.admitted.resume()
        }
    }
}
