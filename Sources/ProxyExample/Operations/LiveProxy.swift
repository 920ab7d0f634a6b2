import EventLoop
import ExampleSupport
import Logging

/// The running proxy's current configuration and listeners. New clients are served by the
/// current ``PairForwarder`` (read once per accepted client, under one short lock); a reload or
/// a new DNS answer installs another forwarder, and every client keeps the one it was accepted
/// with to the end, so open pairs are never disturbed. The parts that outlive a configuration
/// (the registry of open pairs, metrics, totals, the stop gate) are shared by every forwarder.
///
/// Thread-safe. Changes (``install(_:)``, ``addListener(_:text:)``, ``closeListener(text:)``)
/// are meant to come from one task at a time (``ProxyReloader``).
final class LiveProxy: Sendable {
    /// What every configuration's forwarder shares.
    struct Shared: Sendable {
        let group: ReactorGroup
        let registry: ConnectionRegistry
        let metrics: ProxyMetrics
        let totals: ProxyTotals
        let logger: Logger
        let resourceWarning: ResourceWarning
        let stopGate: StopGate
    }

    private struct State {
        var forwarder: PairForwarder
        /// The upstreams' addresses the forwarder's pool was built with, by label.
        var addresses: [String: [SocketAddress]]
        /// Open listeners in the order of the settings, by the text they were configured as.
        var listeners: [(text: String, listener: Listener)] = []
        /// Serving tasks of the async level (one per listener), awaited at the end.
        var servingTasks: [Task<Void, Never>] = []
    }

    let shared: Shared
    private let state: Locked<State>

    /// A live proxy serving with `forwarder`, whose pool holds `addresses`; no listener yet.
    init(shared: Shared, forwarder: PairForwarder, addresses: [String: [SocketAddress]]) {
        self.shared = shared
        state = Locked(State(forwarder: forwarder, addresses: addresses))
    }

    /// The forwarder new clients go to.
    var forwarder: PairForwarder { state.withLock { $0.forwarder } }

    /// The settings in force for new clients.
    var settings: ProxySettings { forwarder.settings }

    /// The upstreams' addresses in force, by label.
    var addresses: [String: [SocketAddress]] { state.withLock { $0.addresses } }

    /// The open listeners.
    var listeners: [Listener] { state.withLock { $0.listeners.map(\.listener) } }

    /// The configured texts of the open listeners, in order.
    var listenTexts: [String] { state.withLock { $0.listeners.map(\.text) } }

    /// New clients go to `forwarder` (whose pool holds `addresses`) from now on.
    func install(_ forwarder: PairForwarder, addresses: [String: [SocketAddress]]) {
        state.withLock {
            $0.forwarder = forwarder
            $0.addresses = addresses
        }
    }

    /// A forwarder for `settings` and the upstreams' `addresses`, sharing with the current
    /// one its admission control (with its counts; new limits are put in force in it) and its
    /// upstream pool (with its health state) when the upstreams, their addresses and the
    /// policy are the same.
    func makeForwarder(_ settings: ProxySettings, addresses: [String: [SocketAddress]]) -> PairForwarder {
        let current = state.withLock { ($0.forwarder, $0.addresses) }
        return Self.makeForwarder(settings, addresses: addresses, shared: shared, reusing: current)
    }

    /// The forwarder for `settings`; `reusing` (a forwarder and its addresses) lends the parts
    /// that did not change.
    static func makeForwarder(
        _ settings: ProxySettings, addresses: [String: [SocketAddress]], shared: Shared,
        reusing previous: (PairForwarder, [String: [SocketAddress]])? = nil
    ) -> PairForwarder {
        // One admission control for the process: a reload changes its limits in place, so the
        // clients already admitted keep counting against them (and are released into it).
        let admission = previous?.0.admission ?? AdmissionControl(limits: settings.limits, logger: shared.logger)
        if previous != nil && previous!.0.settings.limits != settings.limits { admission.update(settings.limits) }
        let sameUpstreams = previous.map {
            $0.0.settings.upstreams == settings.upstreams && $0.0.settings.balance == settings.balance && $0.1 == addresses
        } ?? false
        let pool = sameUpstreams ? previous!.0.upstreams : UpstreamPool(
            settings.upstreams.map { ($0, addresses[$0] ?? []) }, policy: settings.balance,
            logger: shared.logger, metrics: shared.metrics
        )
        return PairForwarder(
            settings: settings, upstreams: pool, admission: admission, registry: shared.registry,
            metrics: shared.metrics, totals: shared.totals, logger: shared.logger,
            resourceWarning: shared.resourceWarning, stopGate: shared.stopGate,
            router: settings.tls.routes.isEmpty ? nil
                : SNIRouter(settings.tls.routes, addresses: addresses, logger: shared.logger, metrics: shared.metrics)
        )
    }

    /// Serves `listener` (configured as `text`) with the forwarder in force at each accept,
    /// at the level of ``ProxySettings/api`` (fixed at start).
    func addListener(_ listener: Listener, text: String) {
        listener.onResourceExhausted(shared.resourceWarning.report)
        let totals = shared.totals
        switch settings.api {
        case .handler:
            listener.serveConnections { [self] client in
                totals.acceptedClient()
                forwarder.start(client)
            }
            state.withLock { $0.listeners.append((text, listener)) }
        case .async:
            let task = Task { [self] in
                await listener.serve { client in
                    totals.acceptedClient()
                    await self.forwarder.serve(client)
                }
            }
            state.withLock {
                $0.listeners.append((text, listener))
                $0.servingTasks.append(task)
            }
        }
    }

    /// Stops accepting on the listener configured as `text` (the clients it accepted stay);
    /// returns once its sockets are closed.
    func closeListener(text: String) async {
        let closed = state.withLock { state -> Listener? in
            guard let index = state.listeners.firstIndex(where: { $0.text == text }) else { return nil }
            return state.listeners.remove(at: index).listener
        }
        guard let closed else { return }
        closed.close()
        await closed.waitUntilClosed()
    }

    /// Waits for the async level's serving tasks (they end once their listeners are closed).
    func waitForServing() async {
        for task in state.withLock({ $0.servingTasks }) { await task.value }
    }
}

