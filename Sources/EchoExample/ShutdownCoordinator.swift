import Dispatch
import EventLoop
import Glibc
import Logging
import Synchronization

/// Graceful shutdown on SIGINT and SIGTERM: the first signal wakes ``waitForSignal()`` and
/// ``drain(_:registry:timeout:totals:logger:)`` stops accepting at once, lets open connections
/// finish for the drain time, then closes the rest. A second signal exits at once.
final class ShutdownCoordinator: Sendable {
    private let state = Locked<State>(State())

    private struct State {
        var signal: Int32?
        var waiter: CheckedContinuation<Int32, Never>?
    }

    /// The signals that stop the server.
    static let stopSignals = [SIGINT, SIGTERM]

    /// Routes SIGINT and SIGTERM to this coordinator (their default action is turned off).
    /// Keep the returned sources; cancel them when done.
    func installSignalHandlers() -> [any DispatchSourceSignal] {
        Self.stopSignals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in received(number) }
            source.resume()
            return source
        }
    }

    /// Suspends until the first stop signal and returns its number.
    func waitForSignal() async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let seen = state.withLock { state -> Int32? in
                if let signal = state.signal { return signal }
                state.waiter = continuation
                return nil
            }
            if let seen { continuation.resume(returning: seen) }
        }
    }

    private func received(_ number: Int32) {
        let (first, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Int32, Never>?) in
            guard state.signal == nil else { return (false, nil) }
            state.signal = number
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        guard first else {
            standardError("\(Self.name(of: number)) again: exiting now\n")
            _exit(128 + number)
        }
        waiter?.resume(returning: number)
    }

    /// Stops accepting on every listener, waits (at most `timeout`) for the open connections to
    /// end, then closes those still open and waits for them to be accounted for.
    func drain(_ listeners: [Listener], registry: ConnectionRegistry, timeout: Duration, totals: Totals, logger: Logger) async {
        for listener in listeners { listener.close() }
        for listener in listeners { await listener.waitUntilClosed() }
        let open = registry.count
        logger.info("stopped accepting; draining \(open) connection(s) for up to \(timeout.inSeconds) s")
        if await registry.waitUntilEmpty(timeout: timeout) {
            if open > 0 { logger.info("every connection finished") }
            return
        }
        let closed = registry.closeAll()
        totals.forciblyClosed(closed)
        logger.notice("drain time over: closed \(closed) connection(s)")
        // The closes finish on the reactors; each connection then adds its totals.
        if await !registry.waitUntilEmpty(timeout: .seconds(2)) {
            logger.warning("\(registry.count) connection(s) still closing")
        }
    }

    /// `SIGINT`, `SIGTERM` or `signal N`.
    static func name(of number: Int32) -> String {
        switch number {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(number)"
        }
    }
}

extension Duration {
    /// The duration in seconds, as a number for messages.
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
