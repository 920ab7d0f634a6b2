import EventLoop

extension PairForwarder {
    /// Dials `pick` from `reactor`'s thread (the client's task runs there) and waits for the
    /// outcome, unless the proxy stops first: then returns nil at once, and a connection that
    /// arrives later is closed. The async level's upstream connect; the stop wake-up is what
    /// keeps a drain from waiting out `--connect-timeout`.
    nonisolated(nonsending) func dialUnlessStopped(_ pick: UpstreamPool.Pick, on reactor: Reactor) async -> Result<TCPConn, NetError>? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<TCPConn, NetError>?, Never>) in
            let once = OnceFlag()
            let gate = stopGate
            guard let stopID = gate.onStop({ if once.claim() { continuation.resume(returning: nil) } }) else {
                return continuation.resume(returning: nil)
            }
            dialer.dial(pick.addresses, label: pick.label, on: reactor) { result in
                gate.cancel(stopID)
                if once.claim() {
                    continuation.resume(returning: result)
                } else if case .success(let late) = result {
                    late.close()
                }
            }
        }
    }

    /// Waits ``backoffDelay(round:)`` on `reactor`'s timer; false, at once, when the proxy
    /// stops first (or has stopped). Out of line: the common path (an upstream is up) never
    /// backs off.
    @inline(never)
    nonisolated(nonsending) func backOffUnlessStopped(round: Int, on reactor: Reactor) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let once = OnceFlag()
            let gate = stopGate
            let timer = Locked<ScheduledTimer?>(nil)
            guard let stopID = gate.onStop({
                guard once.claim() else { return }
                timer.withLock { $0 }?.cancel()
                continuation.resume(returning: false)
            }) else {
                return continuation.resume(returning: false)
            }
            let scheduled = reactor.schedule(after: Self.backoffDelay(round: round)) {
                gate.cancel(stopID)
                if once.claim() { continuation.resume(returning: true) }
            }
            timer.withLock { $0 = scheduled }
        }
    }
}
