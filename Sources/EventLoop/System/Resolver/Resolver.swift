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

    /// The most lookups that run at once (and threads that exist).
    var maxThreads: Int { pool.maxThreads }
    /// The most lookups that wait for a thread.
    var maxQueued: Int { pool.maxQueued }
    private let lookup: Lookup
    private let pool: BlockingThreadPool

    /// A resolver with up to `maxThreads` threads and `maxQueued` waiting lookups, answering
    /// with `lookup` (getaddrinfo; tests pass a stand-in).
    init(maxThreads: Int = Resolver.defaultMaxThreads, maxQueued: Int = Resolver.defaultMaxQueued,
         lookup: @escaping Lookup = Resolver.systemLookup) {
        pool = BlockingThreadPool(maxThreads: maxThreads, maxQueued: maxQueued, threadName: "el-resolver")
        self.lookup = lookup
    }

    /// Lookups queued or running, abandoned ones included (they run until getaddrinfo returns).
    var inFlight: Int { pool.inFlight }

    /// Resolves `host` to stream-socket addresses with `port`, in the order the system prefers.
    /// Callable from any task; suspends, never blocks. Throws ``NetError`` `.resolution` (the
    /// name is unknown, or the queue is full), or `CancellationError` when the task is cancelled
    /// first (the lookup is abandoned at once).
    func resolve(host: String, port: UInt16) async throws -> [SocketAddress] {
        try Task.checkCancellation()
        let job = ResolverJob(host: host, port: port, lookup: lookup)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard job.wait(with: continuation) else { return }
                if let refusal = enqueue(job) { job.finish(.failure(refusal)) }
            }
        } onCancel: {
            if job.finish(.failure(CancellationError())) { dequeue(job) }
        }
    }

    /// Queues `job` on the pool (a thread starts when fewer than `maxThreads` run). Returns
    /// the error the job fails with when it cannot be queued.
    private func enqueue(_ job: ResolverJob) -> NetError? {
        if pool.offer(job) { return nil }
        return NetError(.resolution("resolver busy: \(maxQueued) lookups wait for a thread"),
                        operation: "lookup", address: job.label)
    }

    /// Removes an abandoned job that no thread has taken yet.
    private func dequeue(_ job: ResolverJob) {
        pool.remove(job)
    }
}
