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

    /// A forwarder over these shared parts; every client of every listener goes through it.
    init(settings: ProxySettings, upstreams: UpstreamPool, admission: AdmissionControl, registry: ConnectionRegistry,
         metrics: ProxyMetrics, totals: ProxyTotals, logger: Logger, resourceWarning: ResourceWarning) {
        self.settings = settings
        self.upstreams = upstreams
        self.admission = admission
        self.registry = registry
        self.metrics = metrics
        self.totals = totals
        self.logger = logger
        self.resourceWarning = resourceWarning
    }

    /// Connect attempts per client: `--retries`, or one per upstream.
    private var attempts: Int { settings.retries ?? upstreams.count }

    /// Runs on the caller's executor (the client's reactor): no executor switch on the way in
    /// or out.
    nonisolated(nonsending) func serve(_ client: TCPConn) async {
        defer { client.close() }
        let peer = client.remoteAddress?.description ?? "?"
        let ticket: AdmissionControl.Ticket
        switch admission.admit(client.remoteAddress) {
        case .success(let admitted): ticket = admitted
        case .failure(let reason): return refuse(client, peer: peer, reason: reason)
        }
        defer { admission.release(ticket) }
        guard let id = registry.admit(close: { client.close() }) else {
            return refuse(client, peer: peer, reason: .draining)
        }
        defer { registry.remove(id) }
        let started = ContinuousClock.now
        guard let (upstream, pick) = await connectUpstream(on: client.reactor, peer: peer) else {
            return refuse(client, peer: peer, reason: .noUpstream)
        }
        defer {
            upstream.close()
            upstreams.released(pick)
            metrics.upstreamPairClosed(pick.label)
        }
        metrics.connectionOpened()
        metrics.upstreamPairOpened(pick.label)
        totals.paired()
        logger.debug("pair opened", metadata: ["client": "\(peer)", "upstream": "\(pick.label)"])
        let options = RelayOptions(splice: settings.splice.mode, idleTimeout: settings.idleTimeout, passResetOn: true)
        let result: RelayResult
        do {
            result = try await client.relay(with: upstream, options: options)
        } catch {
            logger.debug("relay failed to start", metadata: ["client": "\(peer)", "error": "\(error)"])
            metrics.connectionClosed(seconds: (ContinuousClock.now - started).inSeconds)
            return
        }
        let seconds = (ContinuousClock.now - started).inSeconds
        metrics.bytes(clientToUpstream: result.forward.bytes, upstreamToClient: result.backward.bytes, upstream: pick.label)
        metrics.connectionClosed(seconds: seconds)
        totals.ended(up: result.forward.bytes, down: result.backward.bytes)
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
    /// failures mark an upstream down (passive health). Backs off between rounds.
    private nonisolated(nonsending) func connectUpstream(on reactor: Reactor, peer: String) async -> (TCPConn, UpstreamPool.Pick)? {
        var tried = Set<Int>()
        let dialer = Dialer(timeout: settings.connectTimeout)
        var backoff = Duration.milliseconds(25)
        for attempt in 0..<attempts {
            if tried.count == upstreams.count { tried.removeAll() }
            guard let pick = upstreams.pick(excluding: tried) else {
                // Nothing to try now (every upstream down and probed); wait a little once more.
                if attempt + 1 < attempts, (try? await Task.sleep(for: backoff)) != nil {
                    backoff *= 2
                    continue
                }
                return nil
            }
            tried.insert(pick.index)
            let started = ContinuousClock.now
            do {
                let upstream = try await dialer.dial(pick.addresses, label: pick.label, on: reactor)
                metrics.upstreamConnected(pick.label, seconds: (ContinuousClock.now - started).inSeconds)
                upstreams.connected(pick)
                return (upstream, pick)
            } catch {
                if Task.isCancelled || Self.isLocalShortage(error) {
                    // Not the upstream's fault (out of descriptors or memory here): keep it up.
                    upstreams.released(pick)
                    if !Task.isCancelled, let error = error as? NetError { resourceWarning.report(error) }
                    return nil
                }
                metrics.upstreamConnectFailed(pick.label)
                totals.connectFailed()
                upstreams.failed(pick, error: error)
                logger.debug("upstream connect failed", metadata: ["client": "\(peer)", "upstream": "\(pick.label)", "error": "\(error)"])
            }
        }
        return nil
    }

    /// True for errors that say this process ran short (EMFILE, ENFILE, ENOBUFS, ENOMEM), not
    /// that the upstream failed.
    static func isLocalShortage(_ error: any Error) -> Bool {
        guard let error = error as? NetError else { return false }
        let all = [error] + error.underlying
        return all.contains { [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains($0.errno ?? 0) }
    }

    private func refuse(_ client: TCPConn, peer: String, reason: RefusalReason) {
        client.close()
        metrics.refused(reason)
        totals.refused(reason)
        logger.debug("client refused", metadata: ["client": "\(peer)", "reason": "\(reason.rawValue)"])
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
