import Dispatch

extension Reactor {
    /// Runs `body` on the reactor thread, after the work already queued. Callable from any thread.
    ///
    /// From another thread this takes a lock and wakes the reactor with at most one eventfd
    /// write per batch. After shutdown the closure runs on a fallback serial queue, so
    /// nothing submitted is ever lost.
    public func execute(_ body: @escaping @Sendable () -> Void) {
        submit(.closure(body))
    }

    func submit(_ work: Work) {
        if isCurrent {
            jobs.push(work)
            return
        }
        let accepted = inbox.withLock { inbox -> Bool in
            if inbox.stopped { return false }
            inbox.work.append(work)
            inboxNonEmpty.store(true, ordering: .releasing)
            return true
        }
        guard accepted else {
            runAfterShutdown(work)
            return
        }
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) {
            Syscall.eventFDSignal(wakeFD)
        }
    }

    /// Work arriving after the reactor stopped runs serially on a Dispatch queue.
    func runAfterShutdown(_ work: Work) {
        let queue = Reactor.afterShutdownQueue
        switch work {
        case .job(let job):
            queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        case .closure(let body):
            queue.async { body() }
        }
    }

    static let afterShutdownQueue = DispatchQueue(label: "reactor.after-shutdown")


}

extension Reactor {
    /// Runs `body` on the reactor thread and returns its result to the awaiting caller, from
    /// any thread or task. Rethrows what `body` throws. Once shutdown has begun, a call from
    /// another thread fails at once with `.shuttingDown` (as does one whose `body` reached the
    /// reactor only after its thread ended); `body` then never runs.
    public func submit<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        if isCurrent { return try body() }
        if isShuttingDown { throw NetError(.shuttingDown, operation: "submit") }
        return try await withCheckedThrowingContinuation { continuation in
            execute {
                guard self.isCurrent else {
                    continuation.resume(throwing: NetError(.shuttingDown, operation: "submit"))
                    return
                }
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
