import EventLoop
import EventLoopTLS
import Logging

/// What the first bytes of a `--route-sni` client said.
enum ClientHelloOutcome {
    /// A complete first record: the bytes read (to be written to the upstream first) and the
    /// server name, nil when the ClientHello has none or the bytes are not TLS (`isTLS`).
    case hello(ByteBuffer, serverName: String?, isTLS: Bool)
    /// Nothing to route: the client closed, failed or was too slow (the reason, for the log).
    case failed(String)
}

extension PairForwarder {
    /// The handler level with `--route-sni`: the ClientHello must be read before an upstream
    /// is chosen, so the client is served by a task of its own on its reactor. Reactor thread only.
    func startRoutedBySNI(_ client: TCPConn, router: SNIRouter) {
        Task(executorPreference: client.reactor) {
            await self.serveRoutedBySNI(client, router: router)
        }
    }

    /// Serves one `--route-sni` client: admission, then its TLS ClientHello (bounded by
    /// `--tls-handshake-timeout`), then the route its server name matches (else the
    /// `--upstream` list, else the client is refused as `no_route`), then the relay: the
    /// ClientHello bytes are written to the upstream first, the rest is relayed unchanged with
    /// splice. TLS is never terminated. Runs on the client's reactor.
    nonisolated(nonsending) func serveRoutedBySNI(_ client: TCPConn, router: SNIRouter) async {
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
        let hello: ByteBuffer
        let serverName: String?
        let isTLS: Bool
        switch await readClientHello(client) {
        case .failed(let reason):
            return routeRefused(client, peer: peer, reason: .clientHello, detail: reason, sni: nil,
                                seconds: reactor.seconds(since: started))
        case .hello(let bytes, let name, let tls):
            (hello, serverName, isTLS) = (bytes, name, tls)
        }
        let routed = serverName.flatMap { router.pool(for: $0) }
        guard let pool = routed ?? (upstreams.count > 0 ? upstreams : nil) else {
            let detail = !isTLS ? "not a TLS ClientHello" : serverName.map { "no route for server name \($0)" } ?? "no server name"
            return routeRefused(client, peer: peer, reason: .noRoute, detail: detail, sni: serverName,
                                seconds: reactor.seconds(since: started))
        }
        let extra: Logger.Metadata = ["sni": "\(serverName ?? "-")"]
        guard let (upstream, pick) = await connectUpstream(on: reactor, peer: peer, pool: pool) else {
            return refuse(client, peer: peer, reason: stopGate.isStopped ? .draining : .noUpstream,
                          seconds: reactor.seconds(since: started))
        }
        guard sendProxyHeader(to: upstream, pick: pick, peer: peer) else {
            return refuse(client, peer: peer, reason: .noUpstream)
        }
        defer { pairClosed(upstream, pick) }
        pairOpened(pick, peer: peer)
        transfers.opened(admitted.id, client: client, upstream: upstream, metrics: pick.metrics)
        let result: RelayResult
        do {
            try await upstream.write(hello)
            result = try await client.relay(with: upstream, options: relayOptions)
        } catch {
            relayFailed(error, pick: pick, id: admitted.id, peer: peer, seconds: reactor.seconds(since: started))
            return
        }
        pairEnded(result, pick: pick, id: admitted.id, peer: peer, seconds: reactor.seconds(since: started),
                  leadingUp: UInt64(hello.readableBytes), extra: extra)
    }

    /// Reads `client`'s first bytes until they hold its first TLS record (a ClientHello, with or
    /// without a server name), or show they are not TLS, within `--tls-handshake-timeout`.
    /// The bytes are kept to be written to the upstream. At most one record (16 KiB and its
    /// header) is read.
    nonisolated(nonsending) func readClientHello(_ client: TCPConn) async -> ClientHelloOutcome {
        client.setReadDeadline(.after(settings.tls.handshakeTimeout))
        defer { client.setReadDeadline(nil) }
        var buffer = ByteBuffer()
        do {
            while true {
                if try await client.read(into: &buffer) == 0 {
                    return .failed("closed before its ClientHello was complete")
                }
                switch buffer.withUnsafeReadableBytes({ TLSClientHello.serverName(in: $0) }) {
                case .name(let name): return .hello(buffer, serverName: name, isTLS: true)
                case .noServerName: return .hello(buffer, serverName: nil, isTLS: true)
                case .notTLS: return .hello(buffer, serverName: nil, isTLS: false)
                case .needMoreBytes: continue
                }
            }
        } catch let error as NetError where error.isTimeout {
            return .failed("no complete ClientHello within \(settings.tls.handshakeTimeout)")
        } catch {
            return .failed("\(error)")
        }
    }

    /// A `--route-sni` client refused before any upstream was dialled: closed, counted, and
    /// logged (notice) with the reason, then the session line.
    @inline(never)
    func routeRefused(_ client: TCPConn, peer: PeerName, reason: RefusalReason, detail: String, sni: String?, seconds: Double) {
        client.close()
        metrics.refused(reason)
        totals.refused(reason)
        let message = reason == .noRoute ? "no route for client" : "ClientHello not read"
        logger.notice("\(message)", metadata: ["client": "\(peer)", "sni": "\(sni ?? "-")", "reason": "\(detail)"])
        logSession(peer: peer, upstream: "-", seconds: seconds, up: 0, down: 0, end: SessionEnd(refusal: reason),
                   extra: ["reason": "\(reason.rawValue)", "sni": "\(sni ?? "-")", "error": "\(detail)"])
    }
}
