extension Reactor {
    /// Traps unless called on this reactor's thread: the check behind every reactor-thread-only
    /// method of ``StreamSocket`` and ``DatagramSocket``, kept in release builds (an `assert`
    /// would vanish there, and a socket used from two threads corrupts its state silently).
    ///
    /// The fast path is ``isCurrent``: one relaxed atomic load and `pthread_self()` (a read
    /// of the thread pointer), a few nanoseconds next to the syscall each of these methods
    /// makes. Once the reactor has stopped its sockets are closed, so a late call from any
    /// thread is let through to fail with `.closed` instead of trapping.
    ///
    /// The message names the type, the operation and the reactor (`StreamSocket.send called
    /// off its reactor's thread (reactor-0)`); it goes through `fatalError` because `-O`
    /// builds drop `precondition`'s message.
    @inline(__always)
    func checkConfined(_ type: StaticString, _ operation: StaticString) {
        if _fastPath(isCurrent) { return }
        confinementViolated(type, operation)
    }

    @inline(never)
    private func confinementViolated(_ type: StaticString, _ operation: StaticString) {
        if isStopped { return }
        fatalError("\(type).\(operation) called off its reactor's thread (\(name))")
    }
}
