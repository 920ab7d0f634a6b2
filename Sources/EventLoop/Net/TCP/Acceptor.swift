import Glibc

/// One listening socket on one reactor: accepts in bounded batches and hands each new
/// connection to its listener. Reactor thread only. (The waiting side of accepting, the tasks
/// parked in ``Listener/accept()``, is the extension at the end of this file.)
// @unchecked Sendable: passed between threads only to be handed back to its own reactor
// (`reactor.execute { acceptor.… }`); its mutable state is touched on that thread alone.
final class Acceptor: ReactorIOHandler, @unchecked Sendable {
    /// Connections accepted at most per readiness event before yielding to other sockets.
    static let maxAcceptsPerEvent = 64
    /// Pause after a persistent accept error (EMFILE, ENFILE, ENOBUFS, ENOMEM, EPERM, …) before
    /// accepting again: no spinning on a listening socket that stays readable.
    static let resourceBackoffNanoseconds: UInt64 = 50_000_000

    let reactor: Reactor
    let address: SocketAddress
    /// Strong until this acceptor closes (the listener keeps its acceptors until then too).
    var listener: Listener?
    /// The descriptor, its token and interest with the reactor.
    @exclusivity(unchecked) var registration: Registration
    /// The descriptor (-1 once closed): the registration's.
    var fd: Int32 {
        @inline(__always) get { registration.fd }
        set { registration.fd = newValue }
    }
    var ready = true
    var paused = false
    var backingOff = false
    var redispatchQueued = false
    /// Persistent accept failures, one per backoff period (the server logs and counts them).
    var resourceFailures = 0

    init(fd: Int32, address: SocketAddress, reactor: Reactor, listener: Listener) throws(NetError) {
        registration = Registration(unregistered: fd)
        self.address = address
        self.reactor = reactor
        self.listener = listener
        reactor.socketOpened()
        do {
            registration = try reactor.register(fd: fd, interest: .readable, handler: self)
        } catch {
            reactor.closeSocket(fd)
            self.fd = -1
            throw error
        }
    }

    func handleEvents(_ events: Readiness) {
        redispatchQueued = false
        ready = true
        acceptBatch()
    }

    func reactorStopped() { close() }

    /// Starts accepting again after the listener's queue had room again.
    func resume() {
        guard paused else { return }
        paused = false
        acceptBatch()
    }

    private func acceptBatch() {
        var accepted = 0
        while fd >= 0, ready, !paused, !backingOff {
            if accepted == Acceptor.maxAcceptsPerEvent {
                if !redispatchQueued {
                    redispatchQueued = true
                    reactor.dispatchAgainNextPass(registration, .readable)
                }
                return
            }
            do {
                // Every call counts against the batch, failed ones too, so a stream of
                // per-connection errors cannot hold the reactor inside one event.
                accepted += 1
                switch try Syscall.accept(fd, listening: address) {
                case .wouldBlock:
                    ready = false
                case .processed(let (client, peer)):
                    reactor.socketOpened()
                    guard listener != nil else {
                        reactor.closeSocket(client)
                        continue
                    }
                    if listener?.deliver(fd: client, peer: peer, from: self) == false { paused = true }
                }
            } catch {
                handleAcceptError(error)
            }
        }
    }

    /// Errors of accept4 that concern the one connection being accepted (accept(2): the
    /// connection was aborted, or a network error already pending on it): the next call may
    /// well succeed, so the loop goes on at once. EINTR never gets here (retried) and EAGAIN is
    /// `.wouldBlock`.
    static func isPerConnection(_ code: Int32) -> Bool {
        switch code {
        case ECONNABORTED, EPROTO, ENETDOWN, ENETUNREACH, EHOSTDOWN, EHOSTUNREACH, ENONET, ENOPROTOOPT, EOPNOTSUPP:
            return true
        default:
            return false
        }
    }

    private func handleAcceptError(_ error: NetError) {
        if let code = error.errno, Acceptor.isPerConnection(code) { return }
        // Anything else (EMFILE, ENFILE, ENOBUFS, ENOMEM, EPERM, …) may last: the pending
        // connection stays in the backlog. Report it once, wait a backoff period, then retry,
        // rather than spin on a socket that stays readable.
        resourceFailures += 1
        listener?.noteResourceFailure(error)
        backingOff = true
        reactor.schedule(afterNanoseconds: Acceptor.resourceBackoffNanoseconds) { [self] in
            backingOff = false
            ready = true
            acceptBatch()
        }
    }

    func close() {
        guard fd >= 0 else { return }
        reactor.release(registration)
        reactor.closeSocket(fd)
        fd = -1
        let owner = listener
        listener = nil
        owner?.acceptorClosed(self)
    }
}

// MARK: tasks waiting in accept()

extension Listener: IOWaitSubject {
    /// What an accept wait's errors name: the listening address.
    func waitError(_ code: NetError.Code, operation: String) -> NetError {
        NetError(code, operation: operation, at: .stream(local: address))
    }
}

extension Listener {
    /// The reactor on which ``accept()`` calls wait: each parks on its own ``IOWaiter`` there
    /// (in ``State/waiters``, oldest first), and a queued connection wakes the oldest one,
    /// which takes a connection from the queue (or, beaten to it, waits again).
    var acceptHome: Reactor { reactors[0] }

    /// ``accept()`` on the home reactor: takes a queued connection, or parks until one is
    /// queued, the listener closes or the task is cancelled. One allocation per call that waits
    /// (its waiter); none when a connection is already queued.
    nonisolated(nonsending) func acceptOnHome() async throws -> TCPConn {
        let queued = state.withLock { state -> Result<TCPConn, any Error>? in
            if state.closed { return .failure(NetError(.closed, operation: "accept", at: .stream(local: address))) }
            if Task.isCancelled { return .failure(CancellationError()) }
            return state.ready.isEmpty ? nil : .success(state.ready.removeFirst())
        }
        if let queued { return try queued.get() }
        let waiter = IOWaiter(reactor: acceptHome, subject: self)
        while true {
            let taken = state.withLock { state -> Result<TCPConn, any Error>? in
                if state.closed { return .failure(NetError(.closed, operation: "accept", at: .stream(local: address))) }
                if Task.isCancelled { return .failure(CancellationError()) }
                if !state.ready.isEmpty { return .success(state.ready.removeFirst()) }
                state.waiters.append(waiter)
                return nil
            }
            if let taken { return try taken.get() }
            do {
                // Queued in the same reactor job as it parks: a wake or a close posted to
                // this reactor runs only once the task is parked.
                try await waiter.wait(.read, isOpen: true, closedError: NetError(.closed, operation: "accept", at: .stream(local: address)),
                                      cancellable: true)
            } catch {
                withdraw(waiter)
                throw error
            }
        }
    }

    /// The slow path of ``accept()`` from another executor: hops to ``acceptHome`` first.
    /// `@concurrent` for the reason given at ``TCPConn``'s `readAfterHop(into:)`.
    @inline(never)
    @concurrent
    func acceptAfterHop() async throws -> TCPConn {
        try await withTaskExecutorPreference(acceptHome) { try await self.acceptOnPreferredExecutor() }
    }

    /// `@concurrent`: entering it switches to the preferred executor ``acceptAfterHop()`` set.
    @concurrent
    private func acceptOnPreferredExecutor() async throws -> TCPConn {
        // Only after a shutdown, which closes the listener: the home reactor no longer runs.
        guard acceptHome.isCurrent else { throw NetError(.closed, operation: "accept", at: .stream(local: address)) }
        return try await acceptOnHome()
    }

    /// A waiter leaves the queue after its wait threw. If a connection had woken it already,
    /// the wake passes to the next waiter, so no queued connection is left without one.
    private func withdraw(_ waiter: IOWaiter) {
        let next = state.withLock { state -> IOWaiter? in
            if let index = state.waiters.firstIndex(where: { $0 === waiter }) {
                state.waiters.remove(at: index)
                return nil
            }
            guard !state.ready.isEmpty, !state.waiters.isEmpty else { return nil }
            return state.waiters.removeFirst()
        }
        if let next { Listener.onReactor(of: next) { $0.resumeReady(.read) } }
    }

    /// Runs `body` with `waiter` on its reactor's thread: at once when that is the caller's.
    static func onReactor(of waiter: IOWaiter, _ body: @escaping @Sendable (IOWaiter) -> Void) {
        if waiter.reactor.isCurrent {
            body(waiter)
        } else {
            waiter.reactor.execute { body(waiter) }
        }
    }
}
