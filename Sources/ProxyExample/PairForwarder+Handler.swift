import EventLoop

extension PairForwarder {
    /// The handler level (`--api handler`): serves `client` with reactor-thread callbacks and
    /// no task: the same admission, upstream attempts, relay and bookkeeping as
    /// ``serve(_:)``, driven by the callback dial and relay. Call on the client's reactor
    /// thread (``Listener/serveConnections(_:)`` does); returns at once.
    func start(_ client: TCPConn) {
        guard !settings.tls.isActive else { return startTLS(client) }
        if let router { return startRoutedBySNI(client, router: router) }
        guard !settings.acceptProxy else { return startAfterProxyHeader(client) }
        start(client, peer: PeerName(client))
    }

    /// ``start(_:)`` once the client's address is known.
    func start(_ client: TCPConn, peer: PeerName) {
        guard let admitted = admit(client, peer: peer) else { return }
        PairSession(forwarder: self, client: client, peer: peer, admitted: admitted).connectNext()
    }
}

/// One client at the handler level, from admission to the end of its relay: the upstream
/// attempts (each failed one marks its upstream down; backoff when none is up), then the
/// relay, then the bookkeeping. The dial's and the relay's completions hold it. While it
/// waits for an upstream it is registered with the forwarder's ``StopGate``: when the proxy
/// stops, the wait (a backoff or a connect in flight) is abandoned at once and the client is
/// refused (`draining`); no attempt starts after that.
// @unchecked Sendable: touched only on the client's reactor thread. It crosses a Sendable
// boundary only in the backoff timer's closure, which `Reactor.schedule` runs on that thread,
// and in the stop gate's closure, which hands it back to that thread with `execute`.
final class PairSession: @unchecked Sendable {
    private let forwarder: PairForwarder
    private let client: TCPConn
    private let peer: PeerName
    private let admitted: (ticket: AdmissionControl.Ticket, id: UInt64)
    private let started: UInt64
    private var tried = UpstreamIndexSet()
    private var attempt = 0
    private var backoffRound = 0
    /// The upstream of the attempt in flight, then of the relay.
    private var pick: UpstreamPool.Pick?
    private var dialStarted: UInt64 = 0
    private var upstream: TCPConn?
    /// A dial is in flight (its completion is still to come).
    private var dialPending = false
    private var backoff: ScheduledTimer?
    /// The registration with the stop gate while waiting for an upstream.
    private var stopID: UInt64?
    private var finished = false

    init(forwarder: PairForwarder, client: TCPConn, peer: PeerName, admitted: (ticket: AdmissionControl.Ticket, id: UInt64)) {
        self.forwarder = forwarder
        self.client = client
        self.peer = peer
        self.admitted = admitted
        started = client.reactor.loopTime
    }

    /// The next upstream attempt, a backoff when every upstream is down, or the refusal once
    /// the attempts are spent (the rules of ``PairForwarder/connectUpstream(on:peer:)``).
    func connectNext() {
        guard !finished else { return }
        let reactor = client.reactor
        // A client closed meanwhile (a drain that ran out of time) needs no upstream.
        guard client.socket.isOpen else { return finish() }
        // The proxy is stopping: no further attempt.
        guard watchStop() else { return refuseDraining() }
        guard attempt < forwarder.attempts else { return giveUp() }
        attempt += 1
        guard let pick = forwarder.nextPick(tried: &tried, now: reactor.loopTime) else {
            // Nothing to try now (every upstream down and probed): wait a little, once more.
            guard attempt < forwarder.attempts else { return giveUp() }
            let delay = PairForwarder.backoffDelay(round: backoffRound)
            backoffRound += 1
            backoff = reactor.schedule(after: delay) {
                self.backoff = nil
                self.connectNext()
            }
            return
        }
        self.pick = pick
        dialStarted = reactor.loopTime
        dialPending = true
        // The completions capture only `self`, so they need no context of their own.
        forwarder.dialer.dial(pick.addresses, label: pick.label, on: reactor) { self.dialled($0) }
    }

    /// Registers (once) with the stop gate; false when the proxy has already stopped.
    private func watchStop() -> Bool {
        if stopID != nil { return true }
        let reactor = client.reactor
        stopID = forwarder.stopGate.onStop { reactor.execute { self.stopWaiting() } }
        return stopID != nil
    }

    /// No longer waiting for an upstream (paired, or done).
    private func unwatchStop() {
        if let stopID { forwarder.stopGate.cancel(stopID) }
        stopID = nil
    }

    /// The proxy stops while this client waits for an upstream: the backoff or the dial in
    /// flight is abandoned (a connection that arrives later is closed) and the client refused.
    private func stopWaiting() {
        stopID = nil
        guard !finished, upstream == nil else { return }
        backoff?.cancel()
        backoff = nil
        if dialPending, let pick {
            dialPending = false
            pick.pool.released(pick)
        }
        refuseDraining()
    }

    private func dialled(_ result: Result<TCPConn, NetError>) {
        guard dialPending, let pick else {
            // Abandoned when the proxy stopped: nobody wants this connection.
            if case .success(let late) = result { late.close() }
            return
        }
        dialPending = false
        switch result {
        case .success(let upstream):
            forwarder.connected(pick, seconds: client.reactor.seconds(since: dialStarted))
            guard forwarder.sendProxyHeader(to: upstream, pick: pick, peer: peer) else { return giveUp() }
            relay(to: upstream, pick: pick)
        case .failure(let error) where error.code == .reactorStopped || error.code == .shuttingDown:
            // Shutting down: not the upstream's fault, and no refusal either.
            pick.pool.released(pick)
            finish()
        case .failure(let error):
            if forwarder.connectFailed(pick, error: error, peer: peer) { connectNext() } else { giveUp() }
        }
    }

    private func relay(to upstream: TCPConn, pick: UpstreamPool.Pick) {
        unwatchStop()
        self.upstream = upstream
        forwarder.pairOpened(pick, peer: peer)
        forwarder.transfers.opened(admitted.id, client: client, upstream: upstream, metrics: pick.metrics)
        client.relay(with: upstream, options: forwarder.relayOptions) { self.relayEnded($0) }
    }

    private func relayEnded(_ result: Result<RelayResult, NetError>) {
        guard let pick, let upstream else { return }
        let seconds = client.reactor.seconds(since: started)
        switch result {
        case .success(let result): forwarder.pairEnded(result, pick: pick, id: admitted.id, peer: peer, seconds: seconds)
        case .failure(let error): forwarder.relayFailed(error, pick: pick, id: admitted.id, peer: peer, seconds: seconds)
        }
        forwarder.pairClosed(upstream, pick)
        finish()
    }

    /// No upstream could be reached: the client is refused (and counted).
    private func giveUp() {
        forwarder.refuse(client, peer: peer, reason: .noUpstream, seconds: client.reactor.seconds(since: started))
        finish()
    }

    /// The proxy is stopping before this client got an upstream: refused (and counted).
    private func refuseDraining() {
        forwarder.refuse(client, peer: peer, reason: .draining, seconds: client.reactor.seconds(since: started))
        finish()
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        unwatchStop()
        forwarder.release(admitted)
        client.close()
    }
}
