import Dispatch
import EventLoop
import Glibc

/// SIGINT and SIGTERM as an event an example program can await: the first one wakes
/// ``waitForSignal()``; a second one exits the process at once (status 128 + signal).
/// Thread-safe: signals arrive on a Dispatch queue.
public final class StopSignals: Sendable {
    private let state = Locked<State>(State())

    private struct State {
        var signal: Int32?
        var waiter: CheckedContinuation<Int32, Never>?
    }

    /// The signals that stop the program.
    public static let stopSignals = [SIGINT, SIGTERM]

    /// A receiver with nothing installed yet (see ``install()``).
    public init() {}

    /// Routes SIGINT and SIGTERM here (their default action is turned off), and ignores SIGPIPE
    /// (the library's opt-in, ``Reactor/ignoreSIGPIPE()``): output into a closed pipe is an
    /// error the output functions drop, not the end of the program. Keep the returned sources;
    /// cancel them when done.
    public func install() -> [any DispatchSourceSignal] {
        Reactor.ignoreSIGPIPE()
        return Self.stopSignals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in received(number) }
            source.resume()
            return source
        }
    }

    /// Suspends until the first stop signal and returns its number.
    public func waitForSignal() async -> Int32 {
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

    /// `SIGINT`, `SIGTERM` or `signal N`.
    public static func name(of number: Int32) -> String {
        switch number {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(number)"
        }
    }
}

extension Duration {
    /// The duration in seconds, as a number for messages.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
