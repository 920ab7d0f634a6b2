extension Reactor {
    /// Stops the reactor: from the first call on, new work is refused with `.shuttingDown`;
    /// then it closes every socket it owns (failing pending calls with `.reactorStopped`), lets
    /// the tasks that were woken run for at most 1 s (what is left
    /// continues on a fallback queue), closes its descriptors and joins the thread. With 200
    /// idle connections it returns in milliseconds (see Docs/Architecture.md, "Shutdown sequence").
    ///
    /// Idempotent; callable from any thread and from a task on this reactor.
    public func shutdown() async {
        requestStop()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyDone = finished.withLock { state -> Bool in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if alreadyDone { continuation.resume() }
        }
        joinThread()
    }

    /// Blocking form of ``shutdown()`` for synchronous code such as `main`. Must not be called
    /// on the reactor thread.
    public func shutdownAndWait() {
        precondition(!isCurrent, "shutdownAndWait() on the reactor's own thread would deadlock")
        requestStop()
        joinThread()
    }

    func requestStop() {
        if !stopRequested.exchange(true, ordering: .acquiringAndReleasing) {
            Syscall.eventFDSignal(wakeFD)
        }
    }

    private func joinThread() {
        let toJoin: ReactorThread? = finished.withLock { _ in
            let current = thread
            thread = nil
            return current
        }
        toJoin?.join()
    }

    /// Drops every pending timer without advancing the wheel; each target hears of it
    /// (sleeping tasks are woken with `.reactorStopped`).
    private func failTimersAtShutdown() {
        wheel.removeAll { action in
            if case .target(let target, let tag) = action { target.timerDiscardedAtShutdown(tag) }
        }
    }

    /// Closes every registered socket (its pending calls fail with `.reactorStopped`) and
    /// drops every timer.
    private func closeEverything() {
        for index in slots.indices {
            if let handler = slots[index].handler { handler.reactorStopped() }
        }
        failTimersAtShutdown()
    }

    /// How long the shutdown lets woken tasks run on the reactor thread before handing the
    /// rest to the fallback queue: the bound on the drain, whatever the tasks do.
    static let shutdownDrainNanoseconds: UInt64 = 1_000_000_000

    /// Runs on the reactor thread once the loop has ended. `stopRequested` is set, so from
    /// here on `register` refuses new sockets and `sleep`, `schedule`, `submit`, dials and
    /// listens are refused with `.shuttingDown`.
    func finishShutdown() {
        closeEverything()
        runShutdownHooks()
        beginSlices()
        // Tasks woken with errors get their turn here, bounded in time so that a task that
        // keeps re-queueing itself cannot hold the thread.
        let drainDeadline = Syscall.monotonicNanoseconds() &+ Reactor.shutdownDrainNanoseconds
        repeat {
            runTasks()
        } while (!jobs.isEmpty || inboxNonEmpty.load(ordering: .acquiring)) && Syscall.monotonicNanoseconds() < drainDeadline
        // Close the inbox: what other threads submit from now on runs on the fallback queue.
        let leftover = inbox.withLock { inbox -> [Work] in
            inbox.stopped = true
            let work = inbox.work
            inbox.work.removeAll()
            inboxNonEmpty.store(false, ordering: .relaxed)
            return work
        }
        for work in leftover { jobs.push(work) }
        while Syscall.monotonicNanoseconds() < drainDeadline, let work = jobs.pop() { run(work) }
        // Timers the drained tasks set (a connection's deadline) go too; registration was refused.
        closeEverything()
        threadID.store(0, ordering: .relaxed)
        // What is still queued (a task that kept yielding, a sleeper just woken) goes on off
        // this thread, where reactor-only calls fail with `.reactorStopped`: nothing is lost.
        while let work = jobs.pop() { runAfterShutdown(work) }
        bufferPool.close()
        Syscall.close(wakeFD)
        Syscall.close(epollFD)
        Reactor.liveThreads.subtract(1, ordering: .relaxed)
        let waiters = finished.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.done = true
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
