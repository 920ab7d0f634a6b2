import EventLoop
import EventLoopServiceLifecycle
import ExampleSupport
import Logging
import ServiceLifecycle

/// The running proxy: reactors, listeners and the metrics page as services of one
/// `ServiceGroup`, with SIGTERM and SIGINT as its graceful shutdown.
enum ProxyServer {
    /// Runs until SIGINT or SIGTERM, then drains (see ``ProxySettings/drainTimeout``); a second
    /// signal stops at once (exit status 128 + the signal). Throws when a listener, the metrics
    /// listener or an upstream's name cannot be set up.
    static func run(_ settings: ProxySettings) async throws {
        let logger = Logger.console(label: "ProxyExample", level: settings.logLevel.level, format: settings.logFormat)
        let fdLimit = FileDescriptorLimit.raiseToHardLimit()
        let upstreamAddresses = try await resolveUpstreams(settings.upstreams)
        let group = try ReactorGroup(count: settings.threads)
        let metrics = ProxyMetrics(upstreams: settings.upstreams, reactors: group)
        let totals = ProxyTotals()
        let resourceWarning = ResourceWarning(fdLimit: fdLimit, logger: logger)
        var listeners: [Listener] = []
        var metricsListener: Listener?
        do {
            for text in settings.listen {
                let listener = try await Listener.listen(text, group: group)
                listener.onResourceExhausted(resourceWarning.report)
                listeners.append(listener)
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
        let pool = UpstreamPool(upstreamAddresses, policy: settings.balance, logger: logger, metrics: metrics)
        let forwarder = PairForwarder(
            settings: settings,
            upstreams: pool,
            admission: AdmissionControl(limits: settings.limits, logger: logger),
            registry: ConnectionRegistry(limit: nil),
            metrics: metrics, totals: totals, logger: logger, resourceWarning: resourceWarning
        )
        let bound = listeners.map(\.address.description).joined(separator: ", ")
        let metricsNote = metricsListener.map { ", metrics on http://\($0.address)/metrics" } ?? ""
        let startLine = "listening on \(bound), upstreams \(settings.upstreams.joined(separator: ", ")), \(group.reactors.count) reactors, balance \(settings.balance.rawValue), splice \(settings.splice.rawValue), api \(settings.api.rawValue)\(metricsNote), fd limit \(fdLimit)"

        // Shut down in reverse order: the proxy drains, the metrics page closes, the reactors stop.
        let signalWatch = await StopSignalWatch(logger: logger)
        var services = [signalWatch.configuration, .init(service: ReactorGroupService(group))]
        if let metricsListener {
            logger.info("metrics at http://\(metricsListener.address)/metrics")
            services.append(.init(service: TCPServerService(listener: metricsListener, drainTimeout: .seconds(1)) { conn in
                await MetricsServer.handle(conn, metrics: metrics, readiness: ProxyReadiness(forwarder: forwarder), logger: logger)
            }))
        }
        services.append(.init(service: TransferFolding(transfers: forwarder.transfers)))
        if settings.health.isEnabled {
            services.append(.init(service: HealthChecker(settings: settings.health, pool: pool, reactors: group.reactors, logger: logger)))
        }
        services.append(.init(service: ProxyService(listeners: listeners, forwarder: forwarder, startLine: startLine)))
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
struct ProxyService: Service {
    let listeners: [Listener]
    let forwarder: PairForwarder
    /// Logged (notice) when serving starts: the group's signal handlers are in place by then.
    let startLine: String

    func run() async {
        let (forwarder, logger, totals) = (self.forwarder, forwarder.logger, forwarder.totals)
        logger.notice("\(startLine)")
        await withTaskGroup(of: Void.self) { serving in
            for listener in listeners {
                switch forwarder.settings.api {
                case .handler:
                    listener.serveConnections { client in
                        totals.acceptedClient()
                        forwarder.start(client)
                    }
                case .async:
                    serving.addTask {
                        await listener.serve { client in
                            totals.acceptedClient()
                            await forwarder.serve(client)
                        }
                    }
                }
            }
            // Returns at the graceful shutdown; throws when cancelled, which drains at once.
            try? await gracefulShutdown()
            // Before the drain: clients still waiting for an upstream give up now, and no
            // upstream is dialled from here on (none onto a reactor that is shutting down).
            forwarder.stopGate.stop()
            _ = await forwarder.registry.drain(listeners, timeout: forwarder.settings.drainTimeout, logger: logger)
        }
    }
}
