
extension Reactor {
    /// The loop, in the order it runs: timers, tasks, epoll_wait (sleeping until the next timer
    /// when there is nothing to do), dispatch, tasks.
    func runLoop() {
        threadID.store(ReactorThread.currentID, ordering: .relaxed)
        var ready = ReadyEvents(capacity: Reactor.maxEventsPerWait)
        beginSlices()
        while !stopRequested.load(ordering: .acquiring) {
            loopTime = clockNanoseconds()
            runExpiredTimers()
            runTasks()
            counters.timersArmed.store(wheel.count, ordering: .relaxed)
            ready.wait(on: epollFD, timeoutMilliseconds: pollTimeout())
            loopTime = clockNanoseconds()
            wakeupCounter.store(wakeupCounter.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
            // The time asleep in epoll_wait is no callback's: timing restarts here.
            beginSlices()
            dispatchReady(ready)
            runTasks()
        }
        finishShutdown()
    }

    /// 0 when work is waiting, the time to the next timer (rounded up), or -1 to sleep until woken.
    private func pollTimeout() -> Int32 {
        if !jobs.isEmpty || !redispatch.isEmpty || inboxNonEmpty.load(ordering: .relaxed) { return 0 }
        return millisecondsUntilNextTimer() ?? -1
    }

    private func dispatchReady(_ ready: borrowing ReadyEvents) {
        var handled: UInt64 = 0
        if !redispatch.isEmpty {
            swap(&redispatch, &redispatchSpare)
            for (token, readiness) in redispatchSpare {
                dispatch(token: token, readiness: readiness)
                endSlice()
            }
            handled &+= UInt64(redispatchSpare.count)
            redispatchSpare.removeAll(keepingCapacity: true)
        }
        for index in 0..<ready.count {
            let token = ready.token(at: index)
            if token == 0 {
                // R1, R2 of the wake-up protocol (Reactor+Submission.swift); R3 is `drainInbox`.
                Syscall.eventFDDrain(wakeFD)
                wakePending.store(false, ordering: .sequentiallyConsistent)
                continue
            }
            dispatch(token: token, readiness: ready.readiness(at: index))
            endSlice()
            handled &+= 1
        }
        if handled != 0 { counters.events.addFromOwner(handled) }
    }

    /// Runs queued jobs, those queued meanwhile included, after taking in what other threads
    /// submitted: at most `maxTasksPerPass`, so a job that keeps re-queueing itself (a
    /// `Task.yield` loop) lets epoll be polled again after that many.
    func runTasks() {
        drainInbox()
        var budget = Reactor.maxTasksPerPass
        while budget > 0, let work = jobs.pop() {
            run(work)
            endSlice()
            budget -= 1
        }
        if budget != Reactor.maxTasksPerPass { counters.tasks.addFromOwner(UInt64(Reactor.maxTasksPerPass - budget)) }
    }

    @inline(__always)
    func run(_ work: Work) {
        switch work {
        case .job(let job):
            // Run as the task executor: a task on this reactor then calls nonisolated async
            // functions inline. (Run "isolated to" the serial executor, every such call would
            // be a hop through the queue.)
            job.runSynchronously(on: asUnownedTaskExecutor())
        case .closure(let body):
            body()
        }
    }

    /// R3 of the wake-up protocol: seq_cst, so that it cannot miss a submission whose producer
    /// skipped the eventfd write (see Reactor+Submission.swift). A plain load on x86.
    private func drainInbox() {
        guard inboxNonEmpty.load(ordering: .sequentiallyConsistent) else { return }
        // Swap the inbox with an empty array of the same capacity: no copy, no allocation.
        inbox.withLock { inbox in
            inboxNonEmpty.store(false, ordering: .relaxed)
            swap(&inbox.work, &inboxSpare)
        }
        for work in inboxSpare { jobs.push(work) }
        inboxSpare.removeAll(keepingCapacity: true)
    }

}
