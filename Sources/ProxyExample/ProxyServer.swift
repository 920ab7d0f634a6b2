import EventLoop
import EventLoopServiceLifecycle
import ExampleSupport
import Logging
import ServiceLifecycle

/// The running proxy: reactors, listeners and the metrics page as services of one
/// `ServiceGroup`, with SIGTERM and SIGINT as its graceful shutdown.
enum ProxyServer {
    /// Runs until SIGINT or SIGTERM, then drains (see ``ProxySettings/drainTimeout``); a second
    /// signal stops at once (exit status 128 + the signal). SIGHUP reads `reload` again
    /// (``ProxyReloader``). Throws when a listener, the metrics listener or an upstream's name
    /// cannot be set up.
    static func run(_ settings: ProxySettings, reload: SettingsSource? = nil) async throws {
        let logger = Logger.console(label: "ProxyExample", level: settings.logLevel.level, format: settings.logFormat)
        let fdLimit = FileDescriptorLimit.raiseToHardLimit()
        let upstreamAddresses = try await resolveUpstreams(settings.upstreamNames)
        let group = try ReactorGroup(count: settings.threads)
        let metrics = ProxyMetrics(upstreams: settings.upstreamNames, reactors: group)
        let totals = ProxyTotals()
        let resourceWarning = ResourceWarning(fdLimit: fdLimit, logger: logger)
        var listeners: [Listener] = []
        var metricsListener: Listener?
        do {
            for text in settings.listen {
                // LiveProxy.addListener (below) installs the resource warning.
                listeners.append(try await Listener.listen(text, group: group, options: settings.tcpOptions))
            }
            if let text = settings.metricsListen {
                metricsListener = try await Listener.listen(try SocketAddress(text), group: group)
            }
        } catch {
            listeners.forEach { $0.close() }
            metricsListener?.close()
            await group.shutdown()
            throw error
        }
        // Output into a closed pipe is an error the output functions drop, not the end of the program.
        Reactor.ignoreSIGPIPE()
        let shared = LiveProxy.Shared(
            group: group, registry: ConnectionRegistry(limit: nil), metrics: metrics, totals: totals,
            logger: logger, resourceWarning: resourceWarning, stopGate: StopGate()
        )
        let addresses = Dictionary(upstreamAddresses.map { ($0.label, $0.addresses) }, uniquingKeysWith: { first, _ in first })
        let live = LiveProxy(shared: shared, forwarder: LiveProxy.makeForwarder(settings, addresses: addresses, shared: shared),
                             addresses: addresses)
        let bound = listeners.map(\.address.description).joined(separator: ", ")
        let metricsNote = metricsListener.map { ", metrics on http://\($0.address)/metrics" } ?? ""
        let startLine = "listening on \(bound), upstreams \(settings.upstreams.isEmpty ? "none" : settings.upstreams.joined(separator: ", "))\(settings.tls.routesSummary), \(group.reactors.count) reactors, balance \(settings.balance.rawValue), splice \(settings.splice.rawValue), api \(settings.api.rawValue), \(settings.tcpOptions.summary)\(metricsNote), fd limit \(fdLimit)"

        // Shut down in reverse order: reloads stop, the proxy drains, the metrics page closes,
        // the reactors stop.
        let signalWatch = await StopSignalWatch(logger: logger)
        var services = [signalWatch.configuration, .init(service: ReactorGroupService(group))]
        if let metricsListener {
            logger.info("metrics at http://\(metricsListener.address)/metrics")
            services.append(.init(service: TCPServerService(listener: metricsListener, drainTimeout: .seconds(1)) { conn in
                await MetricsServer.handle(conn, metrics: metrics, readiness: ProxyReadiness(live: live), logger: logger)
            }))
        }
        services.append(.init(service: TransferFolding(transfers: metrics.transfers)))
        // Also while the checks are off: a reload may turn them on.
        let current = { @Sendable in (live.forwarder.upstreams, live.forwarder.settings.health) }
        services.append(.init(service: HealthChecker(current: current, reactors: group.reactors, logger: logger)))
        services.append(.init(service: ProxyService(live: live, listeners: zip(settings.listen, listeners).map { ($0, $1) }, startLine: startLine)))
        services.append(.init(service: await ProxyOperationsService(
            reloader: ProxyReloader(live: live, source: reload ?? SettingsSource(flags: [:], configPath: nil))
        )))
        let serviceGroup = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: StopSignalWatch.gracefulShutdownSignals, logger: logger
        ))
        try await serviceGroup.runExitingOnSecondSignal()
        logger.notice("stopped: \(totals.summary)")
    }

    /// Resolves each upstream's HOST:PORT once at start. Throws ``NetError`` naming the one
    /// that does not resolve.
    static func resolveUpstreams(_ texts: [String]) async throws -> [(label: String, addresses: [SocketAddress])] {
        var result: [(label: String, addresses: [SocketAddress])] = []
        for text in texts {
            result.append((text, try await SocketAddress.resolve(text)))
        }
        return result
    }
}

/// The proxy's listeners as a swift-service-lifecycle `Service`: `run()` forwards clients until
/// the graceful shutdown, then stops the upstream attempts (``StopGate``), stops accepting on
/// every listener at once and drains the open pairs for the drain time (cancellation: at once).
/// The listeners and the forwarder are the ``LiveProxy``'s: a reload may change both.
struct ProxyService: Service {
    let live: LiveProxy
    /// The listeners open at start, with the texts they were configured as.
    let listeners: [(text: String, listener: Listener)]
    /// Logged (notice) when serving starts: the group's signal handlers are in place by then.
    let startLine: String

    func run() async {
        let (live, logger) = (self.live, live.shared.logger)
        logger.notice("\(startLine)")
        for (text, listener) in listeners { live.addListener(listener, text: text) }
        // Returns at the graceful shutdown; throws when cancelled, which drains at once.
        try? await gracefulShutdown()
        // Stop accepting first: a client accepted after the stop gate below would be refused
        // (`draining`), which a hand-over to a new instance must not do. Connections still in
        // the kernel's queue go to the new instance when `net.ipv4.tcp_migrate_req` is set.
        let listeners = live.listeners
        for listener in listeners { listener.close() }
        for listener in listeners { await listener.waitUntilClosed() }
        // Clients accepted just before the close finish their upstream connect first (a
        // hand-over must not refuse them), for a second at most.
        await live.shared.stopGate.waitUntilNoneWaiting(within: min(.seconds(1), live.settings.drainTimeout))
        // Before the drain: clients still waiting for an upstream give up now, and no
        // upstream is dialled from here on (none onto a reactor that is shutting down).
        live.shared.stopGate.stop()
        _ = await live.shared.registry.drain(listeners, timeout: live.settings.drainTimeout, logger: logger)
        await live.waitForServing()
    }
}
