extension Reactor {
    /// Stops the reactor: closes every socket it owns (failing pending calls with
    /// `.reactorStopped`), lets the tasks that were woken finish their turn, then joins the thread.
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

    /// Drops every pending timer without advancing the wheel; sleeping tasks are woken with
    /// `.reactorStopped`.
    private func failTimersAtShutdown() {
        wheel.removeAll { action in
            if case .wake(let state) = action {
                state.handle = nil
                state.continuation.take()?.resume(throwing: NetError(.reactorStopped, operation: "sleep"))
            }
        }
    }

    /// Runs on the reactor thread once the loop has ended.
    func finishShutdown() {
        for index in slots.indices {
            if let handler = slots[index].handler { handler.reactorStopped() }
        }
        failTimersAtShutdown()
        pipePool.closeAll()
        // Tasks woken with errors get their turn here; bounded so a task that keeps
        // re-queueing itself cannot hold the thread forever.
        for _ in 0..<1000 {
            runTasks()
            if jobs.isEmpty && !inboxNonEmpty.load(ordering: .acquiring) { break }
        }
        let leftover = inbox.withLock { inbox -> [Work] in
            inbox.stopped = true
            let work = inbox.work
            inbox.work.removeAll()
            return work
        }
        for work in leftover { jobs.push(work) }
        while let work = jobs.pop() { run(work) }
        threadID.store(0, ordering: .relaxed)
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
