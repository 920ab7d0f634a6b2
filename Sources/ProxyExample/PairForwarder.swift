import EventLoop
import Glibc
import ExampleSupport
import Logging

/// Serves one client: admission (limits before anything is dialled), the upstream connect
/// with retries across upstreams, then the relay both ways until both directions are done.
/// Runs in the client's task on the reactor that accepted it; the upstream is dialled on that
/// same reactor, so a pair never crosses threads.
///
/// A class, not a struct: its async methods' frames then hold one reference instead of a copy
/// of the settings, which keeps every client task's frames within the runtime's first slabs
/// (fewer mallocs per connection).
final class PairForwarder: Sendable {
    let settings: ProxySettings
    let upstreams: UpstreamPool
    let admission: AdmissionControl
    let registry: ConnectionRegistry
    let metrics: ProxyMetrics
    let totals: ProxyTotals
    let logger: Logger
    /// Says (at most once a second) that the process ran out of descriptors.
    let resourceWarning: ResourceWarning
    /// What every upstream connect runs with, what every relay runs with, and the connect
    /// attempts per client (`--retries`, or one per upstream): made once, not per client.
    let dialer: Dialer
    let relayOptions: RelayOptions
    let attempts: Int
    /// Stopped at SIGTERM/SIGINT: clients still waiting for an upstream give up (`draining`)
    /// and none starts another attempt. Shared by the forwarders a reload replaces.
    let stopGate: StopGate
    /// `--route-sni`: the pools clients are routed to by their TLS server name (nil: no routes).
    let router: SNIRouter?
    /// Open pairs' byte counts, folded into the metrics while they run (shared, as the metrics are).
    var transfers: LiveTransfers { metrics.transfers }

    /// A forwarder over these shared parts; every client of every listener goes through it.
    init(settings: ProxySettings, upstreams: UpstreamPool, admission: AdmissionControl, registry: ConnectionRegistry,
         metrics: ProxyMetrics, totals: ProxyTotals, logger: Logger, resourceWarning: ResourceWarning,
         stopGate: StopGate = StopGate(), router: SNIRouter? = nil) {
        self.stopGate = stopGate
        self.router = router
        self.settings = settings
        self.upstreams = upstreams
        self.admission = admission
        self.registry = registry
        self.metrics = metrics
        self.totals = totals
        self.logger = logger
        self.resourceWarning = resourceWarning
        var dialer = Dialer(timeout: settings.connectTimeout)
        dialer.options = settings.tcpOptions
        self.dialer = dialer
        relayOptions = RelayOptions(splice: settings.splice.mode, idleTimeout: settings.idleTimeout, passResetOn: true)
        attempts = settings.retries ?? upstreams.count
    }

    /// Runs on the caller's executor (the client's reactor): no executor switch on the way in
    /// or out. The bookkeeping around the two waits (admission, metrics, logs) is in
    /// synchronous helpers kept out of line, so this task's suspended frames stay small.
    nonisolated(nonsending) func serve(_ client: TCPConn) async {
        if settings.tls.isActive { return await serveTLS(client, tls: settings.tls) }
        if let router { return await serveRoutedBySNI(client, router: router) }
        defer { client.close() }
        // The client's address is formatted only when a debug line is written.
        var peer = PeerName(client)
        if settings.acceptProxy {
            guard let origin = await readOrigin(client) else { return }
            peer = PeerName(client, origin: origin)
        }
        guard let admitted = admit(client, peer: peer) else { return }
        defer { release(admitted) }
        let reactor = client.reactor
        // Durations come from the reactor's loop time: no clock read per connection.
        let started = reactor.loopTime
        guard let (upstream, pick) = await connectUpstream(on: reactor, peer: peer) else {
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
            result = try await client.relay(with: upstream, options: relayOptions)
        } catch {
            relayFailed(error, pick: pick, id: admitted.id, peer: peer, seconds: reactor.seconds(since: started))
            return
        }
        pairEnded(result, pick: pick, id: admitted.id, peer: peer, seconds: reactor.seconds(since: started))
    }

    /// Admission before anything is dialled: the limits' ticket and the registry's id, or nil
    /// (the client was refused and closed).
    @inline(never)
    func admit(_ client: TCPConn, peer: PeerName) -> (ticket: AdmissionControl.Ticket, id: UInt64)? {
        let ticket: AdmissionControl.Ticket
        switch admission.admit(peer.address) {
        case .success(let admitted): ticket = admitted
        case .failure(let reason):
            refuse(client, peer: peer, reason: reason)
            return nil
        }
        guard let id = registry.admit(client) else {
            admission.release(ticket)
            refuse(client, peer: peer, reason: .draining)
            return nil
        }
        return (ticket, id)
    }

    @inline(never)
    func release(_ admitted: (ticket: AdmissionControl.Ticket, id: UInt64)) {
        registry.remove(admitted.id)
        admission.release(admitted.ticket)
    }

    @inline(never)
    func pairOpened(_ pick: UpstreamPool.Pick, peer: PeerName) {
        metrics.connectionOpened()
        pick.metrics.pairOpened()
        totals.paired()
        logger.debug("pair opened", metadata: ["client": "\(peer)", "upstream": "\(pick.label)"])
    }

    @inline(never)
    func pairClosed(_ upstream: TCPConn, _ pick: UpstreamPool.Pick) {
        upstream.close()
        pick.pool.released(pick)
        pick.metrics.pairClosed()
    }

    @inline(never)
    func relayFailed(_ error: any Error, pick: UpstreamPool.Pick, id: UInt64, peer: PeerName, seconds: Double) {
        _ = transfers.closed(id)
        logger.debug("relay failed to start", metadata: ["client": "\(peer)", "error": "\(error)"])
        metrics.connectionClosed(seconds: seconds)
        logSession(peer: peer, upstream: pick.label, seconds: seconds, up: 0, down: 0, end: .error, extra: ["error": "\(error)"])
    }

    /// Books a finished relay: the bytes not yet folded into the metrics (``LiveTransfers``),
    /// the totals, the session line.
    /// `leadingUp`: bytes of the client's written to the upstream before the relay began (the
    /// ClientHello a `--route-sni` route was chosen by); `extra`: more fields for the session line.
    @inline(never)
    func pairEnded(_ result: RelayResult, pick: UpstreamPool.Pick, id: UInt64, peer: PeerName, seconds: Double,
                   leadingUp: UInt64 = 0, extra: Logger.Metadata = [:]) {
        let folded = transfers.closed(id)
        let up = result.forward.bytes &+ leadingUp
        pick.metrics.bytes(clientToUpstream: up &- min(folded.up, up),
                           upstreamToClient: result.backward.bytes &- min(folded.down, result.backward.bytes))
        metrics.connectionClosed(seconds: seconds)
        totals.ended(up: up, down: result.backward.bytes)
        noteGivenUp(result, peer: peer, upstream: pick.label)
        logSession(peer: peer, upstream: pick.label, seconds: seconds, up: up, down: result.backward.bytes,
                   end: SessionEnd(result, stopping: stopGate.isStopped), extra: extra)
        if logger.logLevel <= .debug {
            logger.debug("pair closed", metadata: [
                "client": "\(peer)", "upstream": "\(pick.label)",
                "up": "\(result.forward.bytes)", "down": "\(result.backward.bytes)",
                "client_end": "\(Self.describe(result.forward.end))", "upstream_end": "\(Self.describe(result.backward.end))",
                "seconds": "\(seconds)",
            ])
        }
    }

    /// Dials upstreams on `reactor` until one answers or the attempts are spent; connect
    /// failures mark an upstream down (passive health). Backs off between rounds. Gives up
    /// (nil) as soon as the proxy stops: no attempt or backoff starts after ``stopGate`` has
    /// stopped, and the one in progress is abandoned.
    /// `pool` is the upstream list by default, or a `--route-sni` route's.
    nonisolated(nonsending) func connectUpstream(on reactor: Reactor, peer: PeerName,
                                                 pool: UpstreamPool? = nil) async -> (TCPConn, UpstreamPool.Pick)? {
        let pool = pool ?? upstreams
        let attempts = pool === upstreams ? self.attempts : settings.retries ?? pool.count
        var tried = UpstreamIndexSet()
        var backoffRound = 0
        for attempt in 0..<attempts {
            if stopGate.isStopped { return nil }
            guard let pick = nextPick(tried: &tried, now: reactor.loopTime, in: pool) else {
                // Nothing to try now (every upstream down and probed); wait a little once more.
                if attempt + 1 < attempts, await backOffUnlessStopped(round: backoffRound, on: reactor) {
                    backoffRound += 1
                    continue
                }
                return nil
            }
            let started = reactor.loopTime
            switch await dialUnlessStopped(pick, on: reactor) {
            case .success(let upstream):
                connected(pick, seconds: reactor.seconds(since: started))
                return (upstream, pick)
            case .failure(let error) where error.code == .reactorStopped:
                // Shutting down: not the upstream's fault.
                pick.pool.released(pick)
                return nil
            case .failure(let error):
                if !connectFailed(pick, error: error, peer: peer) { return nil }
            case nil:
                // The proxy is stopping: the late connection, if any, is closed on arrival.
                pick.pool.released(pick)
                return nil
            }
        }
        return nil
    }

    /// The next upstream to try, noted in `tried` (which starts over once every upstream has
    /// been tried); nil when none can be tried now (every one down and probed). Both levels
    /// pick through this.
    func nextPick(tried: inout UpstreamIndexSet, now: UInt64, in pool: UpstreamPool? = nil) -> UpstreamPool.Pick? {
        let pool = pool ?? upstreams
        if tried.count == pool.count { tried.removeAll() }
        guard let pick = pool.pick(excluding: tried, now: now) else { return nil }
        tried.insert(pick.index)
        return pick
    }

    /// The wait before backoff `round` (from 0) when no upstream can be tried: 25 ms, doubling.
    static func backoffDelay(round: Int) -> Duration {
        .milliseconds(25 << min(round, 10))
    }

    @inline(never)
    func connected(_ pick: UpstreamPool.Pick, seconds: Double) {
        pick.metrics.connected(seconds: seconds)
        pick.pool.connected(pick)
    }

    /// Books a failed connect to `pick`; false when trying further is pointless (the task was
    /// cancelled, or this process ran short of descriptors or memory: not the upstream's fault,
    /// so it stays up).
    @inline(never)
    func connectFailed(_ pick: UpstreamPool.Pick, error: any Error, peer: PeerName) -> Bool {
        if Task.isCancelled || Self.isLocalShortage(error) {
            pick.pool.released(pick)
            if !Task.isCancelled, let error = error as? NetError { resourceWarning.report(error) }
            return false
        }
        pick.metrics.connectFailed()
        totals.connectFailed()
        pick.pool.failed(pick, error: error)
        logger.debug("upstream connect failed", metadata: ["client": "\(peer)", "upstream": "\(pick.label)", "error": "\(error)"])
        return true
    }

    /// True for errors that say this process ran short (EMFILE, ENFILE, ENOBUFS, ENOMEM), not
    /// that the upstream failed.
    static func isLocalShortage(_ error: any Error) -> Bool {
        guard let error = error as? NetError else { return false }
        let all = [error] + error.underlying
        return all.contains { [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains($0.errno ?? 0) }
    }

    /// Closes `client`, refused for `reason` after `seconds` (0: before any upstream was tried),
    /// and books it (metrics, totals, the session line).
    func refuse(_ client: TCPConn, peer: PeerName, reason: RefusalReason, seconds: Double = 0) {
        client.close()
        metrics.refused(reason)
        totals.refused(reason)
        logger.debug("client refused", metadata: ["client": "\(peer)", "reason": "\(reason.rawValue)"])
        logSession(peer: peer, upstream: "-", seconds: seconds, up: 0, down: 0, end: SessionEnd(refusal: reason),
                   extra: ["reason": "\(reason.rawValue)"])
    }

    private static func describe(_ end: CopyEnd) -> String {
        switch end {
        case .endOfStream: "eof"
        case .readFailed(let error): "read error: \(error)"
        case .writeFailed(let error): "write error: \(error)"
        case .timedOut: "idle timeout"
        case .cancelled: "cancelled"
        case .closed: "closed"
        }
    }
}

extension SpliceOption {
    /// The library's splice mode for this setting.
    var mode: SpliceMode {
        switch self {
        case .auto: .auto
        case .on: .on
        case .off: .off
        }
    }
}

extension Reactor {
    /// Seconds from `start` (an earlier ``Reactor/loopTime``) to this pass of the loop.
    /// Reactor thread only.
    func seconds(since start: UInt64) -> Double {
        Double(loopTime &- start) / 1e9
    }
}

/// A client's address for log lines, formatted only when one is written (not per connection).
struct PeerName: CustomStringConvertible, Sendable {
    let conn: TCPConn
    /// `--accept-proxy`: what the client's PROXY protocol header said.
    let origin: ProxyOrigin?

    init(_ conn: TCPConn, origin: ProxyOrigin? = nil) {
        self.conn = conn
        self.origin = origin
    }

    /// The client's address: the one its PROXY header carried, else the socket's peer.
    var address: SocketAddress? { origin?.header.source ?? conn.remoteAddress }

    var description: String { address?.description ?? "?" }
}
