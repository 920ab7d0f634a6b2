import EventLoop
import ExampleSupport
import Logging

/// The running proxy: reactors, listeners, the metrics page, and the graceful shutdown.
enum ProxyServer {
    /// Runs until SIGINT or SIGTERM, then drains (see ``ProxySettings/drainTimeout``). Throws
    /// when a listener, the metrics listener or an upstream's name cannot be set up.
    static func run(_ settings: ProxySettings) async throws {
        let logger = Logger.console(label: "ProxyExample", level: settings.logLevel.level)
        let fdLimit = FileDescriptorLimit.raiseToHardLimit()
        let upstreamAddresses = try await resolveUpstreams(settings.upstreams)
        let group = try ReactorGroup(count: settings.threads)
        let metrics = ProxyMetrics(upstreams: settings.upstreams, reactors: group)
        let totals = ProxyTotals()
        let signals = StopSignals()
        let signalSources = signals.install()
        defer { signalSources.forEach { $0.cancel() } }
        let resourceWarning = ResourceWarning(fdLimit: fdLimit, logger: logger)
        var listeners: [Listener] = []
        var metricsServer: MetricsServer?
        do {
            for text in settings.listen {
                let listener = try await Listener.listen(text, group: group)
                listener.onResourceExhausted(resourceWarning.report)
                listeners.append(listener)
            }
            if let text = settings.metricsListen {
                metricsServer = try await MetricsServer.start(try SocketAddress(text), group: group, metrics: metrics, logger: logger)
            }
        } catch {
            listeners.forEach { $0.close() }
            metricsServer?.close()
            await group.shutdown()
            throw error
        }
        let forwarder = PairForwarder(
            settings: settings,
            upstreams: UpstreamPool(upstreamAddresses, policy: settings.balance, logger: logger, metrics: metrics),
            admission: AdmissionControl(limits: settings.limits, logger: logger),
            registry: ConnectionRegistry(limit: nil),
            metrics: metrics, totals: totals, logger: logger, resourceWarning: resourceWarning
        )
        let bound = listeners.map(\.address.description).joined(separator: ", ")
        let metricsNote = metricsServer.map { ", metrics on http://\($0.address)/metrics" } ?? ""
        logger.notice("listening on \(bound), upstreams \(settings.upstreams.joined(separator: ", ")), \(group.reactors.count) reactors, balance \(settings.balance.rawValue), splice \(settings.splice.rawValue), api \(settings.api.rawValue)\(metricsNote), fd limit \(fdLimit)")
        await withTaskGroup(of: Void.self) { serving in
            for listener in listeners {
                switch settings.api {
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
            let signal = await signals.waitForSignal()
            logger.info("\(StopSignals.name(of: signal)): shutting down")
            // Before the drain: clients still waiting for an upstream give up now, and no
            // upstream is dialled from here on (none onto a reactor that is shutting down).
            forwarder.stopGate.stop()
            _ = await forwarder.registry.drain(listeners, timeout: settings.drainTimeout, logger: logger)
        }
        metricsServer?.close()
        await group.shutdown()
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
