import Glibc

/// Whether a copy between two connections moves bytes with splice(2) (socket → pipe → socket,
/// never entering user space) or through a pooled buffer.
public enum SpliceMode: String, Sendable, Hashable, CaseIterable {
    /// Through a pooled buffer: the cheapest for small exchanges.
    case off
    /// Always through a pipe (one per direction, from the reactor's pipe pool).
    case on
    /// A buffer while exchanges are small; a pipe once a direction streams in bulk (reads that
    /// fill 64 KiB), and back to the buffer when it turns chatty again.
    case auto
}

/// How one direction of a copy ended.
public enum CopyEnd: Sendable, Equatable {
    /// The source ended its stream (and, in a relay, the destination's write side was shut).
    case endOfStream
    /// Reading the source failed (a reset, for instance).
    case readFailed(NetError)
    /// Writing the destination failed (the peer reset or went away).
    case writeFailed(NetError)
    /// Both directions were idle for the relay's idle timeout.
    case timedOut
    /// The calling task was cancelled.
    case cancelled
    /// One of the connections was closed locally (or its reactor stopped).
    case closed
}

/// The outcome of one direction of a copy.
public struct CopyResult: Sendable, Equatable {
    /// Bytes written to the destination.
    public let bytes: UInt64
    /// Of those, bytes moved with splice(2).
    public let splicedBytes: UInt64
    /// How the direction ended.
    public let end: CopyEnd
    /// True when this direction ended before the other one of a relay (a one-way copy: always
    /// true): for a clean end, which side closed its stream first.
    public let endedFirst: Bool
}

/// The outcome of a relay: both directions.
public struct RelayResult: Sendable, Equatable {
    /// From the connection `relay` was called on to the other one.
    public let forward: CopyResult
    /// From the other connection back.
    public let backward: CopyResult
}

/// Settings of ``TCPConn/relay(with:options:)``.
public struct RelayOptions: Sendable, Hashable {
    /// Whether bytes move with splice(2); see ``SpliceMode``.
    public var splice: SpliceMode
    /// End the relay (`.timedOut`) once neither side has read or written for this long.
    public var idleTimeout: Duration?
    /// When a side resets (or fails), close the other with a reset too (SO_LINGER 0), so its
    /// peer can tell a cut-off stream from a complete one. Off: a plain close.
    public var passResetOn: Bool

    /// Options with the given values (the defaults: `auto` splice, no idle timeout, resets passed on).
    public init(splice: SpliceMode = .auto, idleTimeout: Duration? = nil, passResetOn: Bool = true) {
        self.splice = splice
        self.idleTimeout = idleTimeout
        self.passResetOn = passResetOn
    }
}

extension TCPConn {
    /// Copies from this connection to `destination` until end of stream, like Go's `io.Copy`,
    /// and returns the bytes copied. Runs on the reactor's readiness callbacks (no task switch
    /// per chunk); a slow destination stops the reading (at most one 64 KiB chunk or one pipe
    /// in flight). Does not shut `destination`'s write side at the end.
    ///
    /// Both connections must belong to the same reactor. While it runs, this connection's
    /// reads and `destination`'s writes belong to the copy (other calls throw
    /// `.concurrentOperation`). Throws ``NetError`` (the failed read or write; `.timeout` at a
    /// read deadline is not checked here: use a relay's idle timeout) or `CancellationError`.
    public nonisolated(nonsending) func copy(to destination: TCPConn, splice: SpliceMode = .auto) async throws -> UInt64 {
        let result = try await runCopies(to: destination, bothWays: false, splice: splice, idleTimeout: nil,
                                         halfClose: false, passResetOn: false).forward
        switch result.end {
        case .endOfStream: return result.bytes
        case .readFailed(let error), .writeFailed(let error): throw error
        case .cancelled: throw CancellationError()
        case .timedOut: throw netError(.timeout, "copy")
        case .closed: throw netError(.closed, "copy")
        }
    }

    /// Copies both ways between this connection and `other` until both directions are done:
    /// the proxy's core. End of stream on one side becomes a half-close (`shutdown(SHUT_WR)`)
    /// of the other, and the other direction goes on. When both streams have ended, the relay
    /// closes both connections (the last end of stream reaches its peer as the close's FIN,
    /// which saves a shutdown per pair). When a side resets or fails, both are closed (the other
    /// one with a reset, when `options.passResetOn`). On the idle timeout or cancellation both
    /// directions stop and the connections are left open for the caller.
    ///
    /// Both connections must belong to the same reactor and have no read or write pending.
    /// Returns what each direction moved and how it ended; throws ``NetError`` only when the
    /// relay cannot start (`.concurrentOperation`, connections on different reactors, a pipe
    /// when `splice` is `.on` and descriptors ran out). Close both connections afterwards
    /// (closing is idempotent: the relay may already have done it).
    public nonisolated(nonsending) func relay(with other: TCPConn, options: RelayOptions = RelayOptions()) async throws -> RelayResult {
        let results = try await runCopies(to: other, bothWays: true, splice: options.splice, idleTimeout: options.idleTimeout,
                                          halfClose: true, passResetOn: options.passResetOn)
        // A two-way run has both results.
        return RelayResult(forward: results.forward, backward: results.backward!)
    }

    /// ``relay(with:options:)`` without a task: starts both directions and returns at once;
    /// `completion` runs once on the reactor thread when both have ended, with what each moved
    /// and how it ended, or with the error that kept the relay from starting (the same ones
    /// the async relay throws; it then runs before this returns). The rules of the async relay
    /// hold (half-close, resets passed on, the idle timeout, both connections closed on a
    /// clean end); to stop a relay early, close either connection. Close both connections in
    /// `completion` (closing is idempotent). Reactor thread only: a call from another thread
    /// traps while the reactor runs, and completes at once with `.reactorStopped` once it has
    /// stopped.
    public func relay(with other: TCPConn, options: RelayOptions = RelayOptions(),
                      completion: @escaping (Result<RelayResult, NetError>) -> Void) {
        if reactor.hasStoppedUnderCaller {
            return completion(.failure(netError(.reactorStopped, "relay")))
        }
        precondition(reactor.isCurrent, "the callback relay runs on its reactor's thread")
        guard other.reactor === reactor else { return completion(.failure(crossReactorError)) }
        RelaySession(reactor: reactor, passResetOn: options.passResetOn)
            .start(from: self, to: other, splice: options.splice, idleTimeout: options.idleTimeout, completion: completion)
    }

    /// Why two connections on different reactors cannot be relayed (a pair never crosses threads).
    private var crossReactorError: NetError {
        netError(.system(errno: EINVAL), "relay (connections on different reactors)")
    }

    private nonisolated(nonsending) func runCopies(
        to destination: TCPConn, bothWays: Bool, splice: SpliceMode, idleTimeout: Duration?,
        halfClose: Bool, passResetOn: Bool
    ) async throws -> (forward: CopyResult, backward: CopyResult?) {
        guard destination.reactor === reactor else {
            throw crossReactorError
        }
        let session = RelaySession(reactor: reactor, passResetOn: passResetOn)
        if reactor.isCurrent {
            return try await session.run(from: self, to: destination, bothWays: bothWays, splice: splice,
                                         idleTimeout: idleTimeout, halfClose: halfClose)
        }
        return try await withTaskExecutorPreference(reactor) {
            try await self.runOnPreferredExecutor(session, to: destination, bothWays: bothWays, splice: splice,
                                                  idleTimeout: idleTimeout, halfClose: halfClose)
        }
    }

    /// A plain nonisolated async function: entering it moves to the task's preferred executor,
    /// which the caller has just made this reactor.
    private func runOnPreferredExecutor(
        _ session: RelaySession, to destination: TCPConn, bothWays: Bool, splice: SpliceMode,
        idleTimeout: Duration?, halfClose: Bool
    ) async throws -> (forward: CopyResult, backward: CopyResult?) {
        guard reactor.isCurrent else { throw netError(.reactorStopped, "relay") }
        return try await session.run(from: self, to: destination, bothWays: bothWays, splice: splice,
                                     idleTimeout: idleTimeout, halfClose: halfClose)
    }
}
