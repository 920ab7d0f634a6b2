import ServiceLifecycle
import UnixSignals

/// The proxy's runtime changes as one swift-service-lifecycle `Service`: SIGHUP reloads the
/// settings (``ProxyReloader/reload()``) and every `--resolve-interval` the upstreams given by
/// name are resolved again (``ProxyReloader/refreshAddresses()``). Both run one at a time, in
/// the order they come, in this service's task; it ends at the group's graceful shutdown (put
/// it after the proxy's service: it stops first, so no reload runs during the drain).
struct ProxyOperationsService: Service {
    private enum Event { case reload, resolve }

    let reloader: ProxyReloader
    private let hangups: UnixSignalsSequence

    /// The service for `reloader`; SIGHUP is trapped when this returns (a SIGHUP from then on
    /// is kept until ``run()`` reads it, and no longer ends the process).
    init(reloader: ProxyReloader) async {
        self.reloader = reloader
        hangups = await UnixSignalsSequence(trapping: .sighup)
    }

    func run() async {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        let (hangups, reloader) = (self.hangups, self.reloader)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in hangups { continuation.yield(.reload) }
            }
            group.addTask {
                // The interval is the one in force: a reload may change it.
                while !Task.isCancelled {
                    let interval = reloader.live.settings.resolveInterval
                    do { try await Task.sleep(for: interval ?? .seconds(1)) } catch { return }
                    if interval != nil { continuation.yield(.resolve) }
                }
            }
            for await event in events.cancelOnGracefulShutdown() {
                switch event {
                case .reload: await reloader.reload()
                case .resolve: await reloader.refreshAddresses()
                }
            }
            continuation.finish()
            group.cancelAll()
        }
    }
}
