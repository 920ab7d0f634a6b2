import EventLoop
import EventLoopServiceLifecycle
import Logging
import ServiceLifecycle

/// Three ways to run the shout server with the library's public API.
public enum ShoutServers {
    /// The plain accept loop: `listener.connections`, one child task per connection in a task
    /// group. Returns (after every connection has ended) once the listener is closed.
    public static func acceptLoop(_ listener: Listener) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for try await conn in listener.connections {
                group.addTask(executorPreference: conn.reactor) {
                    await Shout.serve(conn)
                    conn.close()
                }
            }
        }
    }

    /// Structured serving with a graceful stop: `shutdown.request()` stops accepting and
    /// drains the open connections for `drainTimeout`.
    public static func serve(_ listener: Listener, shutdown: GracefulShutdown, drainTimeout: Duration) async throws {
        try await listener.serve(drainTimeout: drainTimeout, shutdown: shutdown) { conn in
            await Shout.serve(conn)
        }
    }

    /// The server and its reactors as one `ServiceGroup` (graceful shutdown on SIGTERM or
    /// `triggerGracefulShutdown()`: the server drains, then the reactors stop).
    public static func serviceGroup(_ listener: Listener, group: ReactorGroup, drainTimeout: Duration, logger: Logger) -> ServiceGroup {
        ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                .init(service: ReactorGroupService(group)),
                .init(service: TCPServerService(listener: listener, drainTimeout: drainTimeout, handler: Shout.serve)),
            ],
            gracefulShutdownSignals: [.sigterm],
            logger: logger
        ))
    }
}
