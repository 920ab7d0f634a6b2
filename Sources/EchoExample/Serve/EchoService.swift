import EventLoop
import ExampleSupport
import Logging
import ServiceLifecycle

/// The echo server's listeners as one swift-service-lifecycle `Service`: `run()` serves every
/// TCP and UDP listener until the service group's graceful shutdown (SIGTERM or SIGINT), then
/// closes the datagram sockets, stops accepting on every listener at once, lets open
/// connections finish for the drain time, closes the rest and returns. Cancellation (a second
/// signal) turns the drain into an immediate close.
///
/// The drain goes through the ``ConnectionRegistry`` rather than `Listener.serve(drainTimeout:)`
/// because the handler level (`--api handler`) has connections but no tasks to wait for.
struct EchoService: Service {
    let server: EchoServer
    let listeners: [Listener]
    let udpListeners: [UDPListener]
    let drainTimeout: Duration
    /// Logged (notice) when serving starts: the group's signal handlers are in place by then,
    /// so a test may send SIGTERM as soon as it reads this line.
    let startLine: String

    func run() async {
        let (server, logger, totals) = (self.server, server.logger, server.totals)
        logger.notice("\(startLine)")
        await withTaskGroup(of: Void.self) { serving in
            for listener in listeners {
                serving.addTask { await server.serve(listener) }
            }
            for listener in udpListeners {
                serving.addTask { await server.serveUDP(listener) }
            }
            // Returns at the graceful shutdown; throws when cancelled, which drains at once.
            try? await gracefulShutdown()
            // Datagram sockets have nothing to drain: they close at once.
            for listener in udpListeners {
                listener.close()
                let stats = listener.conns.map(\.stats)
                totals.datagrams(received: stats.reduce(0) { $0 + $1.datagramsRead }, sent: stats.reduce(0) { $0 + $1.datagramsWritten })
            }
            let closed = await server.registry.drain(listeners, timeout: drainTimeout, logger: logger)
            if closed > 0 { totals.forciblyClosed(closed) }
        }
    }
}
