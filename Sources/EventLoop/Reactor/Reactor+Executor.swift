extension Reactor: SerialExecutor, TaskExecutor {
    /// Queues a job to run on the reactor thread: without a lock when called on that thread
    /// (a task resumed after I/O), through the locked inbox otherwise.
    public func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    /// This reactor as the serial executor of an actor or of isolated code.
    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// This reactor as a task executor (`Task(executorPreference: reactor)`).
    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    /// Traps unless called on the reactor thread (used by `assumeIsolated`).
    public func checkIsolated() {
        precondition(isCurrent, "expected to run on reactor \(name)")
    }
}
