import Dispatch
import EventLoop
import Glibc
import ExampleSupport
import Logging
import Synchronization

/// Graceful shutdown on SIGINT and SIGTERM: the first signal wakes ``waitForSignal()`` and
/// ``drain(_:registry:timeout:totals:logger:)`` stops accepting at once, lets open connections
/// finish for the drain time, then closes the rest. A second signal exits at once.
final class ShutdownCoordinator: Sendable {
    private let signals = StopSignals()

    /// Routes SIGINT and SIGTERM to this coordinator. Keep the returned sources; cancel them when done.
    func installSignalHandlers() -> [any DispatchSourceSignal] { signals.install() }

    /// Suspends until the first stop signal and returns its number.
    func waitForSignal() async -> Int32 { await signals.waitForSignal() }

    /// `SIGINT`, `SIGTERM` or `signal N`.
    static func name(of number: Int32) -> String { StopSignals.name(of: number) }

    /// Stops accepting on every listener, waits (at most `timeout`) for the open connections to
    /// end, then closes those still open and waits for them to be accounted for.
    func drain(_ listeners: [Listener], registry: ConnectionRegistry, timeout: Duration, totals: Totals, logger: Logger) async {
        let closed = await registry.drain(listeners, timeout: timeout, logger: logger)
        if closed > 0 { totals.forciblyClosed(closed) }
    }
}
