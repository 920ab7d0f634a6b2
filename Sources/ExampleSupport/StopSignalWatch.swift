import ArgumentParser
import EventLoop
import Logging
import ServiceLifecycle
import UnixSignals

/// The examples' stop signals, next to a `ServiceGroup` that takes SIGTERM and SIGINT as a
/// graceful shutdown (``gracefulShutdownSignals``): this service logs the first one
/// (`SIGTERM: shutting down`) and, on a second one while the group drains, throws
/// ``SecondStopSignal``. Run with ``configuration`` (failure cancels the group), that
/// turns the drain into an immediate stop: every service is cancelled, and the command exits
/// with status 128 + the signal number.
///
/// `ServiceGroup` itself ignores a graceful-shutdown signal received while it is already shutting
/// down, and its graceful and cancellation signals must differ, so the escalation on a
/// repeated signal is this service's job. Put it first in the group's list: services shut down
/// in reverse order, so it keeps watching until every other service has finished.
public struct StopSignalWatch: Service {
    /// The signals that stop an example gracefully.
    public static let gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]

    private let logger: Logger
    private let signals: UnixSignalsSequence

    /// A watch logging to `logger`, its signal handlers registered when this returns (signals
    /// from then on are kept until ``run()`` reads them).
    public init(logger: Logger) async {
        self.logger = logger
        signals = await UnixSignalsSequence(trapping: Self.gracefulShutdownSignals)
    }

    /// This service in a group, with a failure (the second signal) cancelling the group.
    public var configuration: ServiceGroupConfiguration.ServiceConfiguration {
        .init(service: self, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .cancelGroup)
    }

    /// Watches until the group's graceful shutdown reaches this service (then returns) or a
    /// second stop signal arrives (then throws ``SecondStopSignal``).
    public func run() async throws {
        var first = true
        for await signal in signals.cancelOnGracefulShutdown() {
            if first {
                first = false
                logger.info("\(signal): shutting down")
            } else {
                logger.notice("\(signal) again: stopping now")
                throw SecondStopSignal(signal: signal)
            }
        }
    }
}

/// A stop signal received while the program was already draining: the immediate stop.
public struct SecondStopSignal: Error, CustomStringConvertible {
    /// The signal received the second time.
    public let signal: UnixSignal

    /// The exit status it calls for: 128 + the signal number, as for a process the signal ended.
    public var exitStatus: Int32 { 128 + signal.rawValue }

    /// One line for the log: the signal and that the drain was skipped.
    public var description: String { "\(signal) again: stopped without draining" }
}

extension ServiceGroup {
    /// Runs the group; when ``StopSignalWatch`` ended it with a second stop signal, throws
    /// ArgumentParser's `ExitCode` with that signal's status (once every service has returned).
    public func runExitingOnSecondSignal() async throws {
        do {
            try await run()
        } catch let error as SecondStopSignal {
            throw ExitCode(error.exitStatus)
        }
    }
}
