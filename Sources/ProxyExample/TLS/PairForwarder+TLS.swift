import EventLoop
import EventLoopTLS

extension PairForwarder {
    /// The handler level with TLS on either side: the bytes must pass through the proxy, so
    /// the client is served by a task of its own on its reactor (``serveTLS(_:tls:)``).
    /// Reactor thread only.
    func startTLS(_ client: TCPConn) {
        let tls = settings.tls
        Task(executorPreference: client.reactor) {
            await self.serveTLS(client, tls: tls)
        }
    }

    /// Serves one client with TLS terminated (`--tls-cert`: the client's handshake, bounded by
    /// `--tls-handshake-timeout`, after admission and before any upstream is dialled) and/or
    /// originated (`--upstream-tls`: the upstream's handshake and verification after its
    /// connect). A failed client handshake refuses the client (`tls_handshake`); a failed
    /// upstream handshake refuses the pair (`upstream_tls`) with the reason logged. The relay
    /// copies through the proxy (``ConnRelay``). Runs on the client's reactor.
    nonisolated(nonsending) func serveTLS(_ client: TCPConn, tls: ProxyTLSSettings) async {
        defer { client.close() }
        var peer = PeerName(client)
        if settings.acceptProxy {
            guard let origin = await readOrigin(client) else { return }
            peer = PeerName(client, origin: origin)
        }
        guard let admitted = admit(client, peer: peer) else { return }
        defer { release(admitted) }
        let reactor = client.reactor
        let started = reactor.loopTime
        var downstream: any Conn = client
        if let server = tls.serverContext {
            do {
                downstream = try await TLSConn.handshake(client, context: server)
            } catch {
                return tlsRefused(client, peer: peer, reason: .tlsHandshake, upstream: "-", error: error,
                                  seconds: reactor.seconds(since: started))
            }
        }
        guard let (upstreamTCP, pick) = await connectUpstream(on: reactor, peer: peer) else {
            return refuse(client, peer: peer, reason: stopGate.isStopped ? .draining : .noUpstream,
                          seconds: reactor.seconds(since: started))
        }
        guard sendProxyHeader(to: upstreamTCP, pick: pick, peer: peer) else {
            return refuse(client, peer: peer, reason: .noUpstream)
        }
        defer { pairClosed(upstreamTCP, pick) }
        var upstream: any Conn = upstreamTCP
        if let origination = tls.clientContext {
            do {
                upstream = try await TLSConn.handshake(upstreamTCP, context: origination)
            } catch {
                downstream.close()
                return tlsRefused(client, peer: peer, reason: .upstreamTLS, upstream: pick.label, error: error,
                                  seconds: reactor.seconds(since: started))
            }
        }
        pairOpened(pick, peer: peer)
        transfers.opened(admitted.id, client: client, upstream: upstreamTCP, metrics: pick.metrics)
        let result = await ConnRelay.run(client: downstream, upstream: upstream, idleTimeout: settings.idleTimeout)
        downstream.close()
        upstream.close()
        tlsPairEnded(result, pick: pick, id: admitted.id, peer: peer, seconds: reactor.seconds(since: started))
    }

    /// A client refused for a failed TLS handshake on either side: closed, counted, and
    /// logged (notice) with the reason, then the session line.
    @inline(never)
    func tlsRefused(_ client: TCPConn, peer: PeerName, reason: RefusalReason, upstream: String, error: any Error, seconds: Double) {
        client.close()
        metrics.refused(reason)
        totals.refused(reason)
        let message = reason == .tlsHandshake ? "client TLS handshake failed" : "upstream TLS handshake failed"
        logger.notice("\(message)", metadata: ["client": "\(peer)", "upstream": "\(upstream)", "error": "\(error)"])
        logSession(peer: peer, upstream: upstream, seconds: seconds, up: 0, down: 0, end: SessionEnd(refusal: reason),
                   extra: ["reason": "\(reason.rawValue)", "error": "\(error)"])
    }

    /// Books a finished TLS relay, as ``pairEnded(_:pick:id:peer:seconds:)`` does for the
    /// splice relay (byte counts are the plaintext moved).
    @inline(never)
    func tlsPairEnded(_ result: ConnRelay.Result, pick: UpstreamPool.Pick, id: UInt64, peer: PeerName, seconds: Double) {
        let folded = transfers.closed(id)
        pick.metrics.bytes(clientToUpstream: result.up.bytes &- min(folded.up, result.up.bytes),
                           upstreamToClient: result.down.bytes &- min(folded.down, result.down.bytes))
        metrics.connectionClosed(seconds: seconds)
        totals.ended(up: result.up.bytes, down: result.down.bytes)
        logSession(peer: peer, upstream: pick.label, seconds: seconds, up: result.up.bytes, down: result.down.bytes,
                   end: SessionEnd(result, stopping: stopGate.isStopped))
    }
}
