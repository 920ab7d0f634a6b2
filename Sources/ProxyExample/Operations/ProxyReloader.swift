import EventLoop
import Logging

/// Where the settings come from: the command line's flags and `--config` file, read again at
/// each reload (the `PROXY_*` environment is the process's own and does not change).
struct SettingsSource: Sendable {
    let flags: [String: [String]]
    let configPath: String?

    /// The settings now, or the first error (``SettingError``).
    func load() async throws -> ProxySettings {
        try await SettingsLoader.make(flags: flags, configPath: configPath).settings()
    }
}

/// Applies a new configuration to a ``LiveProxy``: on SIGHUP (``reload()``) and when an
/// upstream's name resolves to other addresses (``refreshAddresses()``). Call from one task at a
/// time (``ProxyOperationsService``). Nothing changes unless every step succeeds: the settings
/// read and check, every upstream name resolves, every new listen address opens; otherwise
/// the running configuration stays, one error line is logged and nothing is left open.
final class ProxyReloader: Sendable {
    let live: LiveProxy
    let source: SettingsSource
    private var logger: Logger { live.shared.logger }

    /// Settings only a restart changes: a reload that changes them logs a warning.
    static let restartOnly: [(key: String, differs: @Sendable (ProxySettings, ProxySettings) -> Bool)] = [
        ("threads", { $0.threads != $1.threads }),
        ("api", { $0.api != $1.api }),
        ("metrics-listen", { $0.metricsListen != $1.metricsListen }),
        ("log-level", { $0.logLevel != $1.logLevel }),
    ]

    /// Resolves an upstream's `HOST:PORT` (the library's resolver, off the reactors).
    let resolve: @Sendable (String) async throws -> [SocketAddress]

    /// A reloader for `live` reading `source`; `resolve` looks names up (the library's
    /// resolver by default; tests give another).
    init(live: LiveProxy, source: SettingsSource,
         resolve: @escaping @Sendable (String) async throws -> [SocketAddress] = { try await SocketAddress.resolve($0) }) {
        self.live = live
        self.source = source
        self.resolve = resolve
    }

    /// Reads the settings again and applies them to new clients: upstreams, balance, limits,
    /// access lists, timeouts and everything else in ``ProxySettings`` but the restart-only
    /// ones; listen addresses no longer configured are closed, new ones opened. Open pairs
    /// keep going. Counts `proxy_config_reloads_total{result}`. Returns whether it took effect.
    @discardableResult
    func reload() async -> Bool {
        let file = source.configPath ?? "the command line"
        let settings: ProxySettings
        do {
            settings = try await source.load()
        } catch let error as SettingError {
            return failed(error.located, file: file)
        } catch {
            return failed("\(error)", file: file)
        }
        let old = live.settings
        // Names resolve afresh; an address that does not resolve refuses the reload.
        var addresses: [String: [SocketAddress]] = [:]
        for upstream in settings.upstreamNames {
            do {
                addresses[upstream] = try await resolve(upstream)
            } catch {
                return failed("\(file): upstream \(upstream): \(error)", file: file)
            }
        }
        // New listen addresses open before anything changes; a failure closes those opened.
        let open = live.listenTexts
        var opened: [(String, Listener)] = []
        for text in settings.listen where !open.contains(text) && !opened.contains(where: { $0.0 == text }) {
            do {
                opened.append((text, try await Listener.listen(text, group: live.shared.group, options: settings.tcpOptions)))
            } catch {
                opened.forEach { $0.1.close() }
                return failed("\(file): listen \(text): \(error)", file: file)
            }
        }
        var installed = settings
        for (key, differs) in Self.restartOnly where differs(old, settings) {
            logger.warning("configuration reload: \(key) changes only at restart; keeping the running value")
        }
        if old.tcpOptions != settings.tcpOptions && settings.listen.contains(where: open.contains) {
            // Accepted sockets inherit them from their listening socket.
            logger.warning("configuration reload: tcp-keepalive and tcp-user-timeout apply to new upstream connections and to new listen addresses; the listen addresses kept open keep their values until restart")
        }
        // The restart-only settings keep their running values.
        installed.threads = old.threads
        installed.api = old.api
        installed.metricsListen = old.metricsListen
        installed.logLevel = old.logLevel
        live.install(live.makeForwarder(installed, addresses: addresses), addresses: addresses)
        for (text, listener) in opened { live.addListener(listener, text: text) }
        for text in open where !settings.listen.contains(text) { await live.closeListener(text: text) }
        live.shared.metrics.configReloaded(ok: true)
        let bound = live.listeners.map(\.address.description).joined(separator: ", ")
        logger.notice("configuration reloaded from \(file): listening on \(bound), upstreams \(settings.upstreams.isEmpty ? "none" : settings.upstreams.joined(separator: ", "))\(settings.tls.routesSummary), balance \(settings.balance.rawValue)")
        return true
    }

    private func failed(_ reason: String, file: String) -> Bool {
        live.shared.metrics.configReloaded(ok: false)
        logger.error("configuration reload failed, the running configuration stays: \(reason)")
        return false
    }

    /// Resolves the upstreams given by name again; when one resolves to other addresses, new
    /// clients use them (an upstream pool with the new addresses). A failed lookup keeps that
    /// upstream's last good addresses and logs a warning. Lookups run on the library's resolver
    /// threads, never on a reactor.
    func refreshAddresses() async {
        let settings = live.settings
        var addresses = live.addresses
        var changed = false
        for upstream in settings.upstreamNames where HostPort.isName(upstream) {
            do {
                let fresh = try await resolve(upstream)
                guard fresh != addresses[upstream] else { continue }
                logger.notice("upstream \(upstream) now resolves to \(fresh.map(\.description).joined(separator: ", "))")
                addresses[upstream] = fresh
                changed = true
            } catch {
                let last = (addresses[upstream] ?? []).map(\.description).joined(separator: ", ")
                logger.warning("upstream \(upstream) did not resolve, keeping its last addresses (\(last)): \(error)")
            }
        }
        // A reload meanwhile would have installed other settings: apply only to the same ones.
        guard changed, live.settings.upstreamNames == settings.upstreamNames else { return }
        live.install(live.makeForwarder(live.settings, addresses: addresses), addresses: addresses)
    }
}
