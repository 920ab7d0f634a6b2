/// The size of the thread pool that runs offloaded blocking work (``Reactor/offload(_:)``).
public struct OffloadLimits: Sendable, Hashable {
    /// The most closures that run at once: threads are started on demand up to this many and
    /// end when no work is left.
    public var maxThreads: Int
    /// The most closures that wait for a thread. Beyond it, callers wait (suspended) for room.
    public var maxQueued: Int

    /// A pool of up to `maxThreads` threads (at least 1) and `maxQueued` waiting closures.
    public init(maxThreads: Int = 16, maxQueued: Int = 64) {
        self.maxThreads = max(1, maxThreads)
        self.maxQueued = max(0, maxQueued)
    }

    /// 16 threads, 64 queued closures.
    public static var `default`: OffloadLimits { OffloadLimits() }
}

extension Reactor {
    /// Runs blocking `body` (a file read, a blocking library call, a CPU-heavy computation) on
    /// the group's offload pool, off every reactor thread, and returns its value or rethrows
    /// its error. The awaiting task resumes on its own executor: a task running on this
    /// reactor continues on the reactor thread, with no other work of the reactor delayed.
    ///
    /// Back-pressure: the pool runs at most ``OffloadLimits/maxThreads`` closures at once and
    /// queues at most ``OffloadLimits/maxQueued``; when both are used up, the caller waits
    /// (suspended, first come first served) for room. Nothing queues without bound.
    ///
    /// Not cancellable: once admitted, `body` runs to its end. Throws `.shuttingDown` when the
    /// reactor's shutdown has begun (`body` does not run), a ``NetError`` `.system` when no
    /// thread can be started, or what `body` throws. Work in flight during a shutdown still
    /// completes and resumes its caller (on the fallback queue once the reactor has stopped).
    public func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        if isShuttingDown { throw NetError(.shuttingDown, operation: "offload") }
        let job = OffloadJob(body)
        await offloadPool.admit(job)
        return try await job.value()
    }

    /// Closures queued or running on this reactor's offload pool (shared by its group).
    public var offloadsInFlight: Int { offloadPool.inFlight }

    /// Callers waiting for room in this reactor's offload pool (it is full).
    public var offloadsWaitingForRoom: Int { offloadPool.waitingForRoom }
}

extension ReactorGroup {
    /// Runs blocking `body` on the group's offload pool (see ``Reactor/offload(_:)``): the
    /// calling task's reactor when it runs on one of the group's, the first reactor otherwise.
    public func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let reactor = reactors.first(where: \.isCurrent) ?? reactors[0]
        return try await reactor.offload(body)
    }
}

extension BlockingThreadPool {
    /// The offload pool of a reactor or group named `name`, sized by `limits`.
    convenience init(_ limits: OffloadLimits, name: String) {
        self.init(maxThreads: limits.maxThreads, maxQueued: limits.maxQueued, threadName: "\(name.prefix(7))-offload")
    }
}
