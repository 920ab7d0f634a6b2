/// One running ``TCPConn/copy(to:splice:)`` or ``TCPConn/relay(with:options:)``: its one or two
/// pumps, the idle timer, and the task (or the completion) waiting for the end. Reactor thread only.
///
/// A new pair costs this object and its pumps; no arrays and no closures, since a proxy
/// that serves a request per connection makes one of these per request.
// @unchecked Sendable: every member is touched on `reactor`'s thread only; the one use from
// another thread (a cancellation) hops there with `reactor.execute` first.
final class RelaySession: TimerTarget, @unchecked Sendable {
    private let reactor: Reactor
    private let passResetOn: Bool
    /// From the connection the call was made on.
    private var forward: CopyPump?
    /// Back to it (a relay only).
    private var backward: CopyPump?
    private var remaining = 0
    private var waiter: UnsafeContinuation<Void, any Error>?
    /// The completion of a relay started without a task (``start(from:to:splice:idleTimeout:completion:)``).
    private var onEnd: ((Result<RelayResult, NetError>) -> Void)?
    /// A callback relay holds itself (nothing else does: its pumps' references are unowned)
    /// until it has reported its end.
    private var retainedUntilEnd: RelaySession?
    private var idleNanoseconds: UInt64 = 0
    private var idleTimer: TimerHandle?
    /// A two-way relay with half-close: the connections are closed here once both streams ended.
    private var closesOnCleanEnd = false

    init(reactor: Reactor, passResetOn: Bool) {
        self.reactor = reactor
        self.passResetOn = passResetOn
    }

    /// Calls `body` with each pump (one or two).
    private func forEachPump(_ body: (CopyPump) -> Void) {
        if let forward { body(forward) }
        if let backward { body(backward) }
    }

    /// True until the first pump has finished (a pump asks while finishing, before
    /// ``finished(_:_:)`` counts it).
    var nothingEndedYet: Bool { remaining == (backward == nil ? 1 : 2) }

    /// True when `pump`, reaching end of stream now, ends the relay: it is the last direction
    /// running and the other one ended the same way. The relay then closes both connections.
    func endsWith(_ pump: CopyPump) -> Bool {
        guard closesOnCleanEnd, remaining == 1 else { return false }
        let other = pump === forward ? backward : forward
        return other?.result?.end == .endOfStream
    }

    /// Copies from `source` to `destination` (and back, with `bothWays`) and suspends until
    /// every direction has ended. A cancellation of the calling task stops them
    /// (`.cancelled`); a task that nothing else can cancel (a serving task, see
    /// `TCPConn.servingTask`) skips the cancellation handler. Throws ``NetError`` when a side is
    /// busy or no pipe can be had (pumps already started are stopped again). Reactor thread only.
    nonisolated(nonsending) func run(from source: TCPConn, to destination: TCPConn, bothWays: Bool,
                                     splice: SpliceMode, idleTimeout: Duration?,
                                     halfClose: Bool) async throws -> (forward: CopyResult, backward: CopyResult?) {
        try Task.checkCancellation()
        prepare(from: source, to: destination, bothWays: bothWays, splice: splice, idleTimeout: idleTimeout, halfClose: halfClose)
        if source.callerCannotBeCancelled {
            try await _unsafeInheritExecutor_withUnsafeThrowingContinuation { begin($0) }
        } else {
            try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { begin($0) }
            } onCancel: {
                reactor.execute { self.stopAll(.cancelled) }
            }
        }
        // Every pump has finished, so each has its result.
        return (forward!.result!, backward?.result)
    }

    /// Starts a two-way relay with half-close without a task: `completion` runs once on the
    /// reactor thread when both directions have ended, or with the error when the relay could
    /// not start (before this returns). Reactor thread only.
    func start(from source: TCPConn, to destination: TCPConn, splice: SpliceMode, idleTimeout: Duration?,
               completion: @escaping (Result<RelayResult, NetError>) -> Void) {
        prepare(from: source, to: destination, bothWays: true, splice: splice, idleTimeout: idleTimeout, halfClose: true)
        do {
            try startPumps()
        } catch {
            return completion(.failure(error))
        }
        onEnd = completion
        retainedUntilEnd = self
        if remaining == 0 { reportEnd() }
    }

    /// Hands both directions' results to a callback relay's completion.
    private func reportEnd() {
        guard let onEnd = onEnd.take(), let forward = forward?.result, let backward = backward?.result else { return }
        retainedUntilEnd = nil
        onEnd(.success(RelayResult(forward: forward, backward: backward)))
    }

    /// Starts the idle timer and the pumps, then resumes `continuation` at once (failed to
    /// start, or everything already ended) or keeps it until the last direction ends.
    private func begin(_ continuation: UnsafeContinuation<Void, any Error>) {
        do {
            try startPumps()
        } catch {
            return continuation.resume(throwing: error)
        }
        if remaining == 0 { return continuation.resume() }
        waiter = continuation
    }

    /// Makes the pumps (one, or two with `bothWays`) and notes the relay's settings.
    private func prepare(from source: TCPConn, to destination: TCPConn, bothWays: Bool, splice: SpliceMode,
                         idleTimeout: Duration?, halfClose: Bool) {
        forward = CopyPump(from: source, to: destination, splice: splice, halfCloseAtEnd: halfClose, session: self)
        if bothWays {
            backward = CopyPump(from: destination, to: source, splice: splice, halfCloseAtEnd: halfClose, session: self)
        }
        remaining = bothWays ? 2 : 1
        closesOnCleanEnd = halfClose && bothWays
        idleNanoseconds = idleTimeout?.positiveNanoseconds ?? 0
    }

    /// Arms the idle timer and starts the pumps; when one cannot start, stops what started
    /// and throws its error.
    private func startPumps() throws(NetError) {
        if idleNanoseconds != 0 { armIdleTimer() }
        do {
            try forward?.start()
            try backward?.start()
        } catch {
            stopAll(.closed)
            cancelIdleTimer()
            throw error
        }
    }

    private func stopAll(_ end: CopyEnd) {
        forEachPump { $0.stop(end) }
    }

    /// A pump ended with `result` (it called this once, from its `finish`).
    func finished(_ pump: CopyPump, _ result: CopyResult) {
        remaining -= 1
        switch result.end {
        case .readFailed:
            // The source reset or failed: pass it on to the destination, close the source.
            endPair(failed: pump.source, other: pump.destination)
        case .writeFailed:
            endPair(failed: pump.destination, other: pump.source)
        case .timedOut, .cancelled, .endOfStream, .closed:
            break
        }
        if remaining == 0 {
            if closesOnCleanEnd && forward?.result?.end == .endOfStream && backward?.result?.end == .endOfStream {
                // Both streams ended: close now (the last end of stream was not passed on as a
                // half-close; the close sends that FIN). Both receive queues are drained, so
                // the close is orderly, never a reset.
                forEachPump { $0.source.socket.close() }
            }
            cancelIdleTimer()
            waiter.take()?.resume()
            reportEnd()
        }
    }

    private func endPair(failed: TCPConn, other: TCPConn) {
        if passResetOn { other.socket.abort() } else { other.socket.close() }
        failed.socket.close()
    }

    // MARK: idle timeout

    private func armIdleTimer() {
        idleTimer = reactor.scheduleTimer(atNanoseconds: lastActivity &+ idleNanoseconds, .target(self, .primary))
    }

    private var lastActivity: UInt64 {
        var latest: UInt64 = 0
        forEachPump { latest = max(latest, $0.source.socket.lastActivity, $0.destination.socket.lastActivity) }
        return latest
    }

    /// The idle timer fired (``TimerTarget``): stop if nothing moved meanwhile.
    func timerFired(_ tag: TimerTag) {
        idleTimer = nil
        guard remaining > 0 else { return }
        if lastActivity &+ idleNanoseconds <= reactor.loopTime {
            stopAll(.timedOut)
        } else {
            armIdleTimer()
        }
    }

    private func cancelIdleTimer() {
        guard let timer = idleTimer else { return }
        reactor.cancelTimer(timer)
        idleTimer = nil
    }
}
