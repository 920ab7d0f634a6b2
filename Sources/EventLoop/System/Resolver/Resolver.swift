/// Name resolution off the reactor threads, on a small pool of its own threads.
///
/// getaddrinfo blocks its thread and cannot be interrupted, so lookups run on at most
/// `maxThreads` dedicated threads (created when a lookup arrives and none is free, ending when
/// the queue is empty); never on a reactor thread, nor on the threads of Swift's or Dispatch's
/// shared pools, which a hung lookup would otherwise take away from unrelated work.
///
/// The awaiting task is resumed by whichever comes first: the answer, or the cancellation of
/// its task (a dial's deadline cancels it too). An abandoned lookup still holds its thread
/// until getaddrinfo returns; its answer is then dropped (nothing leaks: the system's list is
/// freed by the lookup itself). A lookup abandoned while still queued is removed and never runs.
///
/// Saturation: when every thread is busy, a lookup waits in a FIFO queue for a free thread,
/// for as long as its caller lets it (a dial's timeout, cancellation). When `maxQueued`
/// lookups already wait, a new one fails at once with `.resolution` ("resolver busy"): hung
/// lookups cannot make the queue, or the number of threads, grow without bound.
final class Resolver: Sendable {
    /// A blocking lookup of `host` with `port`: ``systemLookup(host:port:)``, or a stand-in in tests.
    typealias Lookup = @Sendable (_ host: String, _ port: UInt16) -> Result<[SocketAddress], NetError>

    /// The resolver of every public API (``SocketAddress/resolve(_:)``, ``Dialer``).
    static let shared = Resolver()

    /// Threads of the shared resolver: lookups that may hang at the same time.
    static let defaultMaxThreads = 4
    /// Lookups of the shared resolver that may wait for a thread.
    static let defaultMaxQueued = 64

    private struct State {
        /// Waiting for a thread, oldest first.
        var queued: [ResolverJob] = []
        /// Threads started and not yet ended.
        var threads = 0
        /// Lookups a thread has taken and not yet finished (abandoned ones included).
        var running = 0
    }

    /// The most lookups that run at once (and threads that exist).
    let maxThreads: Int
    /// The most lookups that wait for a thread.
    let maxQueued: Int
    private let lookup: Lookup
    private let state = Locked(State())

    /// A resolver with up to `maxThreads` threads and `maxQueued` waiting lookups, answering
    /// with `lookup` (getaddrinfo; tests pass a stand-in).
    init(maxThreads: Int = Resolver.defaultMaxThreads, maxQueued: Int = Resolver.defaultMaxQueued,
         lookup: @escaping Lookup = Resolver.systemLookup) {
        precondition(maxThreads > 0 && maxQueued >= 0, "a resolver needs a thread")
        self.maxThreads = maxThreads
        self.maxQueued = maxQueued
        self.lookup = lookup
    }

    /// Lookups queued or running, abandoned ones included (they run until getaddrinfo returns).
    var inFlight: Int { state.withLock { $0.queued.count + $0.running } }

    /// Resolves `host` to stream-socket addresses with `port`, in the order the system prefers.
    /// Callable from any task; suspends, never blocks. Throws ``NetError`` `.resolution` (the
    /// name is unknown, or the queue is full), or `CancellationError` when the task is cancelled
    /// first (the lookup is abandoned at once).
    func resolve(host: String, port: UInt16) async throws -> [SocketAddress] {
        try Task.checkCancellation()
        let job = ResolverJob(host: host, port: port)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard job.wait(with: continuation) else { return }
                if let refusal = enqueue(job) { job.finish(.failure(refusal)) }
            }
        } onCancel: {
            if job.finish(.failure(CancellationError())) { dequeue(job) }
        }
    }

    /// Queues `job` and starts a thread when fewer than `maxThreads` run. Returns the error
    /// the job fails with when it cannot be queued.
    private func enqueue(_ job: ResolverJob) -> NetError? {
        enum Admission { case queued, startThread, full }
        let admission: Admission = state.withLock { state in
            if state.queued.count >= maxQueued && state.threads == maxThreads { return .full }
            state.queued.append(job)
            guard state.threads < maxThreads else { return .queued }
            state.threads += 1
            return .startThread
        }
        switch admission {
        case .queued:
            return nil
        case .full:
            return NetError(.resolution("resolver busy: \(maxQueued) lookups wait for a thread"),
                            operation: "lookup", address: job.label)
        case .startThread:
            let status = DetachedThread.start(name: "el-resolver") { [self] in work() }
            if status != 0 { threadFailedToStart(errno: status) }
            return nil
        }
    }

    /// Removes an abandoned job that no thread has taken yet.
    private func dequeue(_ job: ResolverJob) {
        state.withLock { state in state.queued.removeAll { $0 === job } }
    }

    /// A thread's life: takes queued jobs until none is left, then ends.
    private func work() {
        while let job = takeNext() {
            // A job cancelled between its hand-over and its queueing may still be here.
            if !job.isFinished { job.finish(lookup(job.host, job.port).mapError { $0 }) }
            state.withLock { $0.running -= 1 }
        }
    }

    /// The oldest queued job, now running; or nil, and the calling thread counts as ended.
    private func takeNext() -> ResolverJob? {
        state.withLock { state in
            guard !state.queued.isEmpty else {
                state.threads -= 1
                return nil
            }
            state.running += 1
            return state.queued.removeFirst()
        }
    }

    /// pthread_create failed: when no other thread is left to drain the queue, every queued
    /// lookup fails with that errno instead of waiting for a thread that will not come.
    private func threadFailedToStart(errno: Int32) {
        let orphans: [ResolverJob] = state.withLock { state in
            state.threads -= 1
            guard state.threads == 0 else { return [] }
            defer { state.queued.removeAll() }
            return state.queued
        }
        for job in orphans {
            job.finish(.failure(NetError(.system(errno: errno), operation: "lookup", address: job.label)))
        }
    }
}
