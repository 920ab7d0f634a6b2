import Dispatch

// MARK: the wake-up protocol
//
// Work from other threads goes into `inbox` (under its lock) and the reactor is woken through
// `wakeFD`, an eventfd it watches edge-triggered, with at most one write per batch:
//
//  Producer (any other thread), `submit(_:)`:
//   P1. under the inbox lock: append the work, store `inboxNonEmpty = true` (seq_cst);
//   P2. `wakePending.exchange(true)` (seq_cst); only the producer that changed it from false
//       writes the eventfd (P3). Later producers see true and skip the syscall.
//  Reactor, in `dispatchReady` when the eventfd's event comes:
//   R1. read the eventfd back to zero;
//   R2. store `wakePending = false` (seq_cst);
//   R3. then, before it can sleep again, `drainInbox` loads `inboxNonEmpty` (seq_cst) and takes
//       the work (clearing the flag under the lock), and `pollTimeout` polls without sleeping
//       while the flag is set.
//
// Why no submission is missed: a producer that skips the write read `wakePending == true`, so
// its exchange P2 comes before the reactor's R2 in the single order of seq_cst operations, and
// so does its P1, which precedes P2 in the producer's program. R3 follows R2 on the reactor,
// so R3 sees `inboxNonEmpty == true` (or the work was taken already) and runs the work
// without sleeping. A producer that reads false writes the eventfd after R1 emptied it, which
// is a new edge: the next epoll_wait returns at once. The orderings must be seq_cst, not
// release/acquire: P1→P2 against R2→R3 is the store-buffering pattern, where x86 may let R3's
// load pass R2's store in the store buffer, and each side would miss the other's store.
// Costs: on the reactor, one locked store per eventfd wake-up; nothing on its own submissions
// (`isCurrent` pushes onto `jobs` without a lock or an atomic).
// `requestStop` writes the eventfd directly, outside this protocol.

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
            inboxNonEmpty.store(true, ordering: .sequentiallyConsistent)  // P1
            return true
        }
        guard accepted else {
            runAfterShutdown(work)
            return
        }
        if !wakePending.exchange(true, ordering: .sequentiallyConsistent) {  // P2, P3
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
