@testable import EventLoop

extension FaultInjection.Fault {
    /// A fault that affects only the calls made on `reactor`'s own thread (and, among those,
    /// the ones whose number satisfies `when`).
    ///
    /// Tests run in parallel, and a fault is aimed at a descriptor number: once the test's
    /// socket is closed (by a shutdown, a `close()` or an error), the number may be another
    /// test's socket while the fault is still installed. That other socket lives on another
    /// group's reactor thread, so a fault scoped to this reactor can never affect it: the
    /// fault may stay installed across a shutdown or a close without a window.
    static func onReactor(_ reactor: Reactor, _ calls: Set<FaultInjection.Call>, fd: Int32, _ effect: FaultInjection.Effect,
                          when: @escaping @Sendable (Int) -> Bool = { _ in true }) -> Self {
        Self(calls, fd: fd, effect) { number in reactor.isCurrent && when(number) }
    }

    /// The same for one syscall.
    static func onReactor(_ reactor: Reactor, _ call: FaultInjection.Call, fd: Int32, _ effect: FaultInjection.Effect,
                          when: @escaping @Sendable (Int) -> Bool = { _ in true }) -> Self {
        onReactor(reactor, [call], fd: fd, effect, when: when)
    }
}
